from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from analytics.binning import refresh_buckets
from analytics.models import CountryBucket, ProblemBucket, ServiceBucket
from console.quarantine import apply_quarantine, release_quarantine
from reports.models import AuditEntry, Quarantine, Report
from tests.factories import make_report, make_reports


def all_buckets() -> list:
    return [
        list(model.objects.order_by(*keys).values_list(*keys, "reports"))
        for model, keys in (
            (ServiceBucket, ["service_id", "start"]),
            (ProblemBucket, ["service_id", "start", "problem_id"]),
            (CountryBucket, ["service_id", "start", "country"]),
        )
    ]


@pytest.fixture
def flood(outlook):
    """Ordinary reports, plus 40 from one network (one network key, many reporter keys)."""
    now = timezone.now().replace(second=0, microsecond=0)
    make_reports(outlook, 6, at=now - timedelta(minutes=50), country="GB")
    for i in range(40):
        make_report(outlook, at=now - timedelta(minutes=20), key=f"{i:032x}", country="US")
    Report.objects.filter(country="US").update(network_key="n" * 32)
    # A duplicate inside the flood: it did not count before and must not count after.
    make_report(outlook, at=now - timedelta(minutes=19), key=f"{0:032x}", country="US")
    Report.objects.filter(country="US").update(network_key="n" * 32)
    refresh_buckets(now - timedelta(hours=2), now)
    return now


def test_a_quarantine_stops_the_flood_counting_and_its_release_restores_every_bucket(
    outlook, flood
):
    before = all_buckets()
    moderator = User.objects.create_user("mo")
    quarantine = Quarantine(
        service=outlook,
        start=flood - timedelta(hours=1),
        end=flood,
        network_key="n" * 32,
        reason="one network, 40 reporters in a minute",
    )
    assert apply_quarantine(quarantine, moderator, recount=True) == 40
    assert sum(r for _, _, r in all_buckets()[0]) == 6  # only the ordinary reports count
    assert Report.objects.filter(not_counted_reason="abuse").count() == 40
    assert Report.objects.filter(not_counted_reason="duplicate").count() == 1
    assert release_quarantine(quarantine, moderator, recount=True) == 40
    assert all_buckets() == before
    assert Report.objects.filter(not_counted_reason="duplicate").count() == 1
    log = list(AuditEntry.objects.order_by("at").values_list("action", "rows", "user__username"))
    assert log == [("quarantine", 40, "mo"), ("release", 40, "mo")]


def test_the_service_page_says_how_many_reports_were_removed(client, outlook, flood):
    quarantine = Quarantine(
        service=outlook, start=flood - timedelta(hours=1), end=flood, network_key="n" * 32,
        reason="flood",
    )  # fmt: skip
    apply_quarantine(quarantine, None, recount=True)
    body = client.get("/services/outlook/").content.decode()
    start = f"{flood - timedelta(hours=1):%b %-d, %H:%M} UTC"
    assert "40 reports sent between" in body and start in body
    assert "were removed as abuse" in body


def test_the_abuse_note_names_the_whole_span_of_a_quarantine_reaching_past_the_day(
    client, outlook, flood
):
    reaching = Quarantine(
        service=outlook, start=flood - timedelta(days=3), end=flood, network_key="n" * 32,
        reason="a long flood",
    )  # fmt: skip
    apply_quarantine(reaching, None, recount=True)
    body = client.get("/services/outlook/").content.decode()
    assert "40 reports sent between" in body
    assert f"{flood - timedelta(days=3):%b %-d, %H:%M} UTC" in body  # its start, days ago


def test_a_released_quarantine_is_no_longer_on_the_page(client, outlook, flood):
    quarantine = Quarantine(
        service=outlook, start=flood - timedelta(hours=1), end=flood, network_key="n" * 32,
        reason="flood",
    )  # fmt: skip
    apply_quarantine(quarantine, None, recount=True)
    release_quarantine(quarantine, None, recount=True)
    assert "removed as abuse" not in client.get("/services/outlook/").content.decode()


def test_a_quarantine_needs_an_identity_and_a_sane_window(outlook):
    from django.core.exceptions import ValidationError

    now = timezone.now()
    with pytest.raises(ValidationError, match="at least one of"):
        Quarantine(
            service=outlook, start=now - timedelta(hours=1), end=now, reason="x"
        ).full_clean()
    with pytest.raises(ValidationError, match="after the start"):
        Quarantine(
            service=outlook, start=now, end=now, reporter_key="k" * 32, reason="x"
        ).full_clean()


def test_a_moderator_quarantines_and_releases_in_the_admin(moderator, outlook, flood):
    client = moderator
    start = (flood - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    end = flood.strftime("%Y-%m-%d %H:%M:%S")
    response = client.post(
        "/admin/reports/quarantine/add/",
        {
            "service": outlook.pk, "start_0": start[:10], "start_1": start[11:],
            "end_0": end[:10], "end_1": end[11:], "network_key": "n" * 32,
            "reporter_key": "", "ua_family": "", "comments": "hide",
            "reason": "a flood from one network",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    quarantine = Quarantine.objects.get()
    assert quarantine.reports_count == 40 and quarantine.created_by.username == "mo"
    client.post(
        "/admin/reports/quarantine/", {"action": "release", "_selected_action": [quarantine.pk]}
    )
    assert Quarantine.objects.get().released_at is not None
    assert not Report.objects.filter(not_counted_reason="abuse").exists()
    assert client.get("/admin/reports/auditentry/").status_code == 200


def test_an_incident_opened_by_a_flood_is_withdrawn_by_its_quarantine_and_back_on_release(
    outlook,
):
    from analytics import pipeline
    from analytics.models import Baseline, Incident, ServiceStatus
    from tests.factories import NOON

    Baseline.objects.create(service=outlook, expected=[3.0] * 2016, updated_at=NOON)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    for i in range(40):  # 40 reporters from many networks: not caught by the concentration check
        make_report(outlook, at=NOON + timedelta(minutes=1), key=f"{i:032x}")
    for i, report in enumerate(Report.objects.all()):
        report.network_key = f"{i:032x}"
        report.ua_family = "Firefox" if i < 35 else "Chrome"
        report.save()
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    assert incident.review == "" and ServiceStatus.objects.get(service=outlook).level == 2
    quarantine = Quarantine(
        service=outlook, start=NOON, end=NOON + timedelta(minutes=5), ua_family="Firefox",
        reason="one browser family, a scripted flood",
    )  # fmt: skip
    assert apply_quarantine(quarantine, None, recount=True) == 35
    incident.refresh_from_db()
    assert incident.review == "withdrawn" and incident.withdrawn_by == quarantine
    assert ServiceStatus.objects.get(service=outlook).level <= 1  # at once, before any run
    pipeline.refresh_analytics(NOON + timedelta(minutes=3))
    assert ServiceStatus.objects.get(service=outlook).level <= 1  # never red again
    release_quarantine(quarantine, None, recount=True)
    incident.refresh_from_db()
    assert (incident.review, incident.withdrawn_by) == ("", None)


def test_the_celery_task_recounts_a_quarantine_window(outlook, flood):
    from console.tasks import recount_after_quarantine

    quarantine = Quarantine(
        service=outlook, start=flood - timedelta(hours=1), end=flood, network_key="n" * 32,
        reason="flood",
    )  # fmt: skip
    apply_quarantine(quarantine, None)  # in a test transaction: the task is not queued
    assert sum(r for _, _, r in all_buckets()[0]) == 46  # not recounted yet
    recount_after_quarantine(quarantine.pk, False)  # what the worker runs
    assert sum(r for _, _, r in all_buckets()[0]) == 6


def test_a_slow_onset_incident_survives_a_quarantine_that_removed_nothing(outlook):
    """The replay reaches past the decision: a rise that took an hour of evidence to open an
    incident (3.2× at 5 reports per bucket: only the hour-long window opens on it) is found again."""
    from analytics import baselines, pipeline
    from analytics.models import Incident

    width = timedelta(minutes=5)
    base = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    base -= timedelta(minutes=base.minute % 5)
    ServiceBucket.objects.bulk_create(
        ServiceBucket(service=outlook, start=base - i * width, reports=5) for i in range(1, 8 * 288)
    )
    baselines.rebuild_baselines(base)
    pipeline.refresh_analytics(base - timedelta(minutes=1))
    for b in range(16):
        make_reports(outlook, 16, at=base + b * width + timedelta(minutes=1), prefix=f"b{b}")
        pipeline.refresh_analytics(base + (b + 1) * width + timedelta(seconds=30))
    incident = Incident.objects.get()
    assert incident.started_at == base
    assert incident.detected_at - incident.started_at >= timedelta(minutes=55)
    nothing = Quarantine(
        service=outlook, start=base, end=base + 16 * width, ua_family="curl", reason="a check"
    )
    assert apply_quarantine(nothing, None, recount=True) == 0
    incident.refresh_from_db()
    assert (incident.review, incident.withdrawn_by) == ("", None)
