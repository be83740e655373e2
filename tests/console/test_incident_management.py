from datetime import timedelta

from django.utils import timezone

from analytics import pipeline
from analytics.detector import Level
from analytics.models import (
    Baseline,
    Incident,
    MaintenanceWindow,
    OfficialUpdate,
    ServiceStatus,
)
from reports.models import AuditEntry
from tests.factories import NOON, make_incident, make_reports


def test_a_moderator_confirms_or_marks_a_false_alarm_and_the_page_says_so(moderator, outlook):
    now = timezone.now()
    incident = make_incident(outlook, started_at=now - timedelta(hours=2), reports=40, expected=3,
                             ended_at=now - timedelta(hours=1))  # fmt: skip
    moderator.post(
        "/admin/analytics/incident/", {"action": "false_alarm", "_selected_action": [incident.pk]}
    )
    assert Incident.objects.get().verdict == "false_alarm"
    assert "false alarm" in moderator.get(f"/incidents/{incident.pk}/").content.decode()
    moderator.post(
        "/admin/analytics/incident/", {"action": "confirm", "_selected_action": [incident.pk]}
    )
    assert Incident.objects.get().verdict == "confirmed"
    assert AuditEntry.objects.filter(action="false alarm", rows=1).exists()


def test_official_updates_show_on_the_incident_and_service_pages(moderator, outlook):
    now = timezone.now()
    incident = make_incident(
        outlook, started_at=now - timedelta(minutes=30), reports=40, expected=3
    )
    OfficialUpdate.objects.create(
        service=outlook, incident=incident, posted_at=now - timedelta(minutes=10),
        text="We are investigating sign-in failures.", source_url="https://status.example.com/1",
    )  # fmt: skip
    for path in (f"/incidents/{incident.pk}/", "/services/outlook/"):
        body = moderator.get(path).content.decode()
        assert "We are investigating sign-in failures." in body
        assert 'href="https://status.example.com/1"' in body


def test_an_incident_during_suppressing_maintenance_is_held(client, outlook):
    Baseline.objects.create(service=outlook, expected=[3.0] * 2016, updated_at=NOON)
    MaintenanceWindow.objects.create(
        service=outlook, start=NOON - timedelta(minutes=30), end=NOON + timedelta(hours=1),
        note="database upgrade", suppress=True,
    )  # fmt: skip
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    make_reports(outlook, 60, at=NOON + timedelta(minutes=1))
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    incident = Incident.objects.get()
    assert incident.review == "held" and "maintenance" in incident.review_reason
    assert ServiceStatus.objects.get(service=outlook).level == Level.POSSIBLE
    assert "scheduled maintenance" in client.get(f"/incidents/{incident.pk}/").content.decode()


def test_maintenance_is_announced_on_the_service_page(client, outlook):
    now = timezone.now()
    MaintenanceWindow.objects.create(
        service=outlook, start=now + timedelta(hours=2), end=now + timedelta(hours=3),
        note="mailbox migration",
    )  # fmt: skip
    body = client.get("/services/outlook/").content.decode()
    assert "Scheduled maintenance from" in body and "mailbox migration" in body
