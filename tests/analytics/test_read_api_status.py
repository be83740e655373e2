"""What a client needs besides the counts: a service's problems, countries and open incident,
groups with how many services are affected, the series with its incident bands, rounded floats,
and a schema that names its parts and declares its refusals."""

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from analytics import pipeline
from analytics.models import Incident
from tests.factories import make_incident, make_reports

pytestmark = pytest.mark.usefixtures("frozen_now")


def test_a_service_has_its_problem_shares_countries_and_open_incident(client, outlook):
    now = timezone.now()
    make_reports(outlook, 12, at=now - timedelta(minutes=20), problem="login", country="US")
    make_reports(outlook, 3, at=now - timedelta(minutes=20), problem="sending", country="DE",
                 prefix="s")  # fmt: skip
    pipeline.refresh_analytics(now)
    incident = make_incident(
        outlook, started_at=now - timedelta(minutes=30), reports=15, expected=1
    )
    body = client.get("/api/v1/services/outlook").json()
    assert body["url"] == "http://testserver/services/outlook/"
    hour = {p["slug"]: p for p in body["problems"]["last_hour"]}
    assert (hour["login"]["reports"], hour["login"]["percent"]) == (12, 80.0)
    assert hour["sending"]["percent"] == 20.0
    countries = {c["country"]: c for c in body["countries"]}
    assert (countries["US"]["reports"], countries["US"]["percent"]) == (12, 80)
    assert (countries["DE"]["reports"], countries["DE"]["shown"]) == (None, "<5")  # masked
    assert body["open_incident"]["id"] == incident.pk
    assert body["open_incident"]["url"].endswith(f"/incidents/{incident.pk}/")
    Incident.objects.update(review="withdrawn")
    assert client.get("/api/v1/services/outlook").json()["open_incident"] is None


def test_groups_say_how_many_of_their_services_are_affected(client, outlook, teams):
    now = timezone.now()
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    groups = {g["slug"]: g for g in client.get("/api/v1/groups").json()}
    microsoft = groups["microsoft-365"]
    assert microsoft["services_affected"] == 1 and microsoft["level"] == "problems"
    assert microsoft["services_total"] >= 2
    levels = {s["slug"]: s["level"] for s in microsoft["services"]}
    assert (levels["outlook"], levels["microsoft-teams"]) == ("problems", "ok")
    one = client.get("/api/v1/groups/microsoft-365").json()
    assert one["services_affected"] == 1 and one["url"].endswith("/groups/microsoft-365/")
    assert client.get("/api/v1/groups/nope").status_code == 404


def test_the_series_carries_its_incident_bands_and_level_with_rounded_floats(client, outlook):
    now = timezone.now()
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    shown = make_incident(outlook, started_at=now - timedelta(hours=1), reports=30, expected=1,
                          ended_at=now - timedelta(minutes=30))  # fmt: skip
    withdrawn = make_incident(outlook, started_at=now - timedelta(hours=3), reports=30,
                              expected=1, ended_at=now - timedelta(hours=2))  # fmt: skip
    Incident.objects.filter(pk=withdrawn.pk).update(review="withdrawn")
    body = client.get("/api/v1/services/outlook/series?hours=6").json()
    assert body["level"] == "problems"
    bands = [i["id"] for i in body["incidents"]]
    assert shown.pk in bands and withdrawn.pk not in bands
    assert all(p["expected"] == round(p["expected"], 2) for p in body["points"])


def test_the_schema_names_its_parts_and_declares_its_refusals(client, db):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    names = set(schema["components"]["schemas"])
    assert {"ReportSubmission", "ReportReceipt", "Error", "Group"} <= names
    assert not names & {"Input", "Output"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
