from datetime import timedelta

from analytics import pipeline
from analytics.detector import Level
from analytics.models import Baseline, Incident, ServiceStatus
from reports.models import Report
from tests.factories import NOON, make_report, make_reports


def baseline(service, expected=3.0):
    Baseline.objects.create(service=service, expected=[expected] * 2016, updated_at=NOON)


def test_a_flood_from_one_network_opens_no_public_incident_and_waits_for_review(client, outlook):
    baseline(outlook)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    for i in range(60):
        make_report(outlook, at=NOON + timedelta(minutes=1), key=f"{i:032x}")
    Report.objects.update(network_key="n" * 32)  # 60 reporters, one /24
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    assert incident.review == "held" and "one network" in incident.review_reason
    status = ServiceStatus.objects.get(service=outlook)
    assert status.level == Level.POSSIBLE  # not "problems": no public outage
    body = client.get("/services/outlook/").content.decode()
    assert "a moderator is checking" in body and "problems at Outlook since" not in body


def test_a_crowd_from_many_networks_is_a_public_incident(outlook):
    baseline(outlook)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    make_reports(outlook, 60, at=NOON + timedelta(minutes=1))
    for i, report in enumerate(Report.objects.all()):
        report.network_key = f"{i:032x}"
        report.save()
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    assert Incident.objects.get().review == ""
    assert ServiceStatus.objects.get(service=outlook).level == Level.PROBLEMS


def test_scripted_reports_are_held_and_a_moderator_can_clear_them(moderator, outlook):
    baseline(outlook)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    make_reports(outlook, 60, at=NOON + timedelta(minutes=1))
    Report.objects.update(ua_family="curl")
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    assert incident.review == "held" and "scripts" in incident.review_reason
    moderator.post(
        "/admin/analytics/incident/", {"action": "clear_review", "_selected_action": [incident.pk]}
    )
    assert Incident.objects.get().review == "cleared"
    pipeline.refresh_analytics(NOON + timedelta(minutes=3))
    assert ServiceStatus.objects.get(service=outlook).level == Level.PROBLEMS


def test_the_form_records_how_long_the_reporter_took(client, outlook):
    import time

    from django.core import signing

    from reports.forms import STAMP_SALT

    stamp = client.get("/report-form/state").json()["form_shown"]
    client.post("/services/outlook/report", {"problem": "login", "shown": stamp})
    old = signing.dumps({"t": f"{time.time() - 12:.3f}", "n": "a1"}, salt=STAMP_SALT)
    client.post("/services/outlook/report", {"problem": "login", "shown": old},
                REMOTE_ADDR="198.51.100.3")  # fmt: skip
    client.post("/services/outlook/report", {"problem": "login", "shown": "forged"},
                REMOTE_ADDR="198.51.100.4")  # fmt: skip
    seconds = list(Report.objects.order_by("pk").values_list("seconds_to_submit", flat=True))
    assert seconds[0] in (0, 1) and 11 <= seconds[1] <= 13 and seconds[2] is None


def test_a_stamp_is_used_once_a_replay_counts_as_instant(client, outlook):
    import time

    from django.core import signing

    from reports.forms import STAMP_SALT

    # A script fetched one page a minute ago and posts its stamp again and again.
    old = signing.dumps({"t": f"{time.time() - 60:.3f}", "n": "b2"}, salt=STAMP_SALT)
    for i in range(3):
        client.post("/services/outlook/report", {"problem": "login", "shown": old},
                    REMOTE_ADDR=f"198.51.100.{i + 10}")  # fmt: skip
    seconds = list(Report.objects.order_by("pk").values_list("seconds_to_submit", flat=True))
    assert 59 <= seconds[0] <= 61 and seconds[1:] == [0, 0]


def test_reports_sent_the_moment_the_page_loads_are_held(outlook):
    baseline(outlook)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    make_reports(outlook, 60, at=NOON + timedelta(minutes=1))
    for i, report in enumerate(Report.objects.all()):
        report.network_key = f"{i:032x}"
        report.seconds_to_submit = 0 if i < 55 else 9
        report.save()
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    assert incident.review == "held" and "within 2 s" in incident.review_reason


def test_too_few_reports_are_never_called_a_flood():
    from django.conf import settings

    from analytics.concentration import flood_reason

    limits = settings.TREMOR["CONCENTRATION"]
    assert flood_reason(19, 19, 19, 19, 19, limits) == ""
    assert "one network" in flood_reason(20, 10, 0, 0, 0, limits)
    assert flood_reason(20, 9, 9, 20, 15, limits) == ""  # 75 % fast: under 80 %


def test_the_shares_are_measured_on_the_crowd_that_decided_not_on_all_that_came_after(outlook):
    from analytics import concentration

    baseline(outlook)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    for i in range(60):
        make_report(outlook, at=NOON + timedelta(minutes=1), key=f"{i:032x}")
    Report.objects.update(network_key="n" * 32)  # the deciding crowd: one /24
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    # Then many people from many networks: counted in they would hide the flood.
    make_reports(outlook, 200, at=NOON + timedelta(minutes=4), prefix="later")
    for i, report in enumerate(Report.objects.filter(network_key="")):
        report.network_key = f"{i:032x}"
        report.save()
    later = NOON + timedelta(minutes=5)
    assert "one network" in concentration.concentration_reasons([incident], later)[incident.pk]


def test_a_flood_sent_after_a_real_outage_opened_does_not_hold_it(outlook):
    from analytics import concentration

    baseline(outlook)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    make_reports(outlook, 60, at=NOON + timedelta(minutes=1))
    for i, report in enumerate(Report.objects.all()):
        report.network_key = f"{i:032x}"
        report.save()
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    assert incident.review == ""
    # Someone who wants the real outage hidden floods it from one network once it is public.
    flood = NOON + timedelta(minutes=3)
    make_reports(outlook, 300, at=flood, prefix="flood")
    Report.objects.filter(created_at=flood).update(network_key="n" * 32)
    assert concentration.concentration_reasons([incident], NOON + timedelta(minutes=4)) == {}
