"""A moderator ends a fake outage from the evidence: withdraw the incident (the public level drops
at once), or quarantine the reports behind it or behind a burst with the form filled in."""

from datetime import timedelta
from urllib.parse import urlsplit

from analytics import pipeline
from analytics.models import Incident, ServiceStatus
from reports.models import AuditEntry, Quarantine
from tests.factories import NOON


def form_initial(response) -> dict:
    return response.context["adminform"].form.initial


def test_a_held_incident_has_one_label_on_its_page(client, flood):
    page = client.get(f"/incidents/{flood.pk}/").content.decode()
    assert "Held for review: 75% of its 40 reports come from one network" in page
    assert "Ongoing" not in page


def test_withdraw_drops_the_public_level_at_once_and_labels_the_incident(
    moderator, outlook, fake_outage, django_capture_on_commit_callbacks
):
    incident = fake_outage
    page = moderator.get(f"/admin/analytics/incident/{incident.pk}/change/").content.decode()
    assert f'href="/admin/analytics/incident/{incident.pk}/withdraw/"' in page
    assert (
        "Withdraw this incident?"
        in moderator.get(f"/admin/analytics/incident/{incident.pk}/withdraw/").content.decode()
    )
    assert "problems at Outlook since" in moderator.get("/services/outlook/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(f"/admin/analytics/incident/{incident.pk}/withdraw/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.review, incident.verdict) == ("withdrawn", "false_alarm")
    status = ServiceStatus.objects.get(service=outlook)
    assert status.level == status.quiet_level < 2  # before any analytics run
    service_page = moderator.get("/services/outlook/").content.decode()
    assert "problems at Outlook since" not in service_page
    assert "a moderator is checking" not in service_page
    incident_page = moderator.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Withdrawn: a moderator found that the reports did not come from an outage" in (
        incident_page
    )
    assert "Recovering" not in incident_page and "Held for review" not in incident_page
    listed = moderator.get(f"/api/v1/incidents/{incident.pk}").json()
    assert (listed["public_level"], listed["withdrawn"], listed["held"]) == ("ok", True, False)
    assert AuditEntry.objects.filter(action="withdraw incident", user__username="mo").exists()
    # The reports are still high: the next run shows what the counts alone say, never red.
    pipeline.refresh_analytics(NOON + timedelta(minutes=3))
    assert ServiceStatus.objects.get(service=outlook).level < 2


def test_clearing_a_withdrawn_incident_shows_it_again(moderator, outlook, fake_outage):
    moderator.post(f"/admin/analytics/incident/{fake_outage.pk}/withdraw/")
    moderator.post(
        "/admin/analytics/incident/",
        {"action": "clear_review", "_selected_action": [fake_outage.pk]},
    )
    assert Incident.objects.get().review == "cleared"
    pipeline.refresh_analytics(NOON + timedelta(minutes=3))
    assert ServiceStatus.objects.get(service=outlook).level == 2


def test_marking_an_open_incident_a_false_alarm_withdraws_it(moderator, outlook, fake_outage):
    moderator.post(
        "/admin/analytics/incident/",
        {"action": "false_alarm", "_selected_action": [fake_outage.pk]},
    )
    assert Incident.objects.get().review == "withdrawn"
    assert ServiceStatus.objects.get(service=outlook).level < 2


def test_an_unprivileged_user_cannot_withdraw(client, outlook, fake_outage):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("viewer", is_staff=True))
    response = client.post(f"/admin/analytics/incident/{fake_outage.pk}/withdraw/")
    assert response.status_code == 403
    assert Incident.objects.get().review == ""


def test_quarantine_the_reports_behind_an_incident_from_its_page(moderator, outlook, flood):
    fake_outage = flood
    page = moderator.get(f"/admin/analytics/incident/{fake_outage.pk}/change/")
    link = page.context["quarantine_url"]
    initial = form_initial(moderator.get(link))
    assert initial["network_key"] == "n" * 32  # 30 of the 40 reports came from it
    assert initial["start"] == fake_outage.started_at and str(initial["service"]) == str(outlook.pk)
    response = moderator.post(
        urlsplit(link).path,
        {
            "service": outlook.pk,
            "start_0": initial["start"].strftime("%Y-%m-%d"),
            "start_1": initial["start"].strftime("%H:%M:%S"),
            "end_0": initial["end"].strftime("%Y-%m-%d"),
            "end_1": initial["end"].strftime("%H:%M:%S"),
            "network_key": initial["network_key"],
            "reporter_key": "",
            "ua_family": "",
            "comments": "hide",
            "reason": initial["reason"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    assert Quarantine.objects.get().reports_count == 30


def test_quarantine_a_burst_from_its_row(moderator, outlook, flood):
    page = moderator.get("/admin/reports/report/bursts/?minutes=15")
    burst = next(b for b in page.context["bursts"] if b.kind == "network")
    assert "Quarantine this burst" in page.content.decode()
    initial = form_initial(
        moderator.get("/admin/reports/quarantine/add/?" + burst.quarantine_query())
    )
    assert initial["network_key"] == "n" * 32 and "30 reports" in initial["reason"]
    assert initial["start"] <= burst.first and initial["end"] > burst.last


def test_a_link_with_a_broken_time_leaves_the_field_empty(moderator, outlook):
    response = moderator.get("/admin/reports/quarantine/add/?start=2026-13-45T10:00&end=soon")
    assert response.status_code == 200
    assert "start" not in form_initial(response) and "end" not in form_initial(response)


def test_incidents_cannot_be_added_by_hand(administrator, catalog):
    assert administrator.get("/admin/analytics/incident/add/").status_code == 403
