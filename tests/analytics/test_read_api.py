import gzip
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import pipeline
from tests.factories import make_incident, make_reports
from tests.query_budgets import QUERIES

pytestmark = pytest.mark.usefixtures("frozen_now")  # one length for every window


def test_the_services_list_has_every_service_with_its_status(client, outlook):
    make_reports(outlook, 30, at=timezone.now())
    pipeline.refresh_analytics(timezone.now())
    body = client.get("/api/v1/services?limit=1000").json()
    assert body["count"] >= 60
    by_slug = {s["slug"]: s for s in body["results"]}
    assert by_slug["outlook"]["status"]["level"] == "problems"
    assert by_slug["gmail"]["status"]["level"] == "ok"


def test_the_services_list_filters_by_group(client, catalog):
    body = client.get("/api/v1/services?group=microsoft-365").json()
    assert "outlook" in {s["slug"] for s in body["results"]}
    assert "gmail" not in {s["slug"] for s in body["results"]}


def test_the_services_list_runs_a_fixed_number_of_queries(
    client, catalog, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES["services list (API)"]):
        client.get("/api/v1/services?limit=1000")


def test_a_service_detail_lists_its_problem_types(client, outlook):
    body = client.get("/api/v1/services/outlook").json()
    assert [p["slug"] for p in body["problem_types"]][:2] == ["login", "sending"]
    assert client.get("/api/v1/services/nope").status_code == 404


def test_the_series_is_dense_with_the_baseline(client, outlook, django_assert_num_queries):
    make_reports(outlook, 4, at=timezone.now() - timedelta(minutes=20))
    pipeline.refresh_analytics(timezone.now())
    with django_assert_num_queries(QUERIES["series (API), rendered"]):
        body = client.get("/api/v1/services/outlook/series?hours=2").json()
    assert body["bucket_minutes"] == 5
    assert len(body["points"]) == 25  # two hours of buckets and the filling one
    assert sum(p["reports"] for p in body["points"]) == 4
    starts = [p["start"] for p in body["points"]]
    assert starts == sorted(starts)


def test_the_series_is_kept_until_the_next_analytics_run_and_revalidates(
    client, outlook, django_assert_num_queries, frozen_now, monkeypatch
):
    pipeline.refresh_analytics(timezone.now())
    first = client.get("/api/v1/services/outlook/series?hours=2")
    assert first["Cache-Control"] == "public, max-age=30"
    make_reports(outlook, 3, at=timezone.now())
    with django_assert_num_queries(QUERIES["series (API), kept"]):
        again = client.get("/api/v1/services/outlook/series?hours=2")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    zipped = client.get("/api/v1/services/outlook/series?hours=2", HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == first.content
    unchanged = client.get(
        "/api/v1/services/outlook/series?hours=2", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    later = frozen_now + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    pipeline.refresh_analytics(later)  # a new run: a new answer with the new reports
    fresh = client.get("/api/v1/services/outlook/series?hours=2")
    assert sum(p["reports"] for p in fresh.json()["points"]) == 3
    assert fresh["ETag"] != first["ETag"]
    assert client.get("/api/v1/services/nope/series").status_code == 404


def test_pages_and_the_series_render_with_the_cache_down(client, outlook, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    pipeline.refresh_analytics(timezone.now())
    assert client.get("/services/outlook/").status_code == 200
    assert client.get("/api/v1/services/outlook/series?hours=2").status_code == 200


def test_a_bad_series_window_is_a_400(client, outlook):
    assert client.get("/api/v1/services/outlook/series?hours=0").status_code == 400
    assert client.get("/api/v1/services/outlook/series?hours=abc").status_code == 400
    assert client.get("/api/v1/services/outlook/series?hours=100000").status_code == 400


def test_incidents_are_listed_newest_first_with_their_evidence(client, outlook):
    now = timezone.now()
    for hours in (5, 1):
        make_incident(
            outlook,
            started_at=now - timedelta(hours=hours),
            ended_at=now - timedelta(hours=hours) + timedelta(minutes=30),
            reports=50,
            expected=5,
            peak_reports=80,
        )
    body = client.get("/api/v1/incidents?service=outlook").json()
    assert [r["opened_ratio"] for r in body["results"]] == [10.0, 10.0]
    assert body["results"][0]["started_at"] > body["results"][1]["started_at"]
    assert client.get("/api/v1/incidents?status=bogus").status_code == 400


def test_the_openapi_schema_and_offline_docs_are_served(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/services/{slug}/reports" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()


def test_a_held_incident_is_never_problems_to_a_client(client, outlook, frozen_now):
    incident = make_incident(
        outlook, started_at=frozen_now - timedelta(minutes=30), reports=40, expected=3
    )
    incident.review = "held"
    incident.save()
    listed = client.get("/api/v1/incidents").json()["results"][0]
    assert listed["status"] == "open"  # the detector's state, explained by public_level
    assert (listed["public_level"], listed["held"], listed["withdrawn"]) == (
        "possible",
        True,
        False,
    )


def test_an_open_incident_is_problems_and_a_resolved_one_ok(client, outlook, frozen_now):
    start = frozen_now - timedelta(hours=3)
    make_incident(
        outlook, started_at=start, reports=40, expected=3, ended_at=start + timedelta(hours=1)
    )
    make_incident(outlook, started_at=frozen_now - timedelta(minutes=20), reports=50, expected=3)
    levels = [i["public_level"] for i in client.get("/api/v1/incidents").json()["results"]]
    assert levels == ["problems", "ok"]  # newest first


def test_one_incident_has_its_page_its_service_name_and_its_verdict(client, outlook, frozen_now):
    incident = make_incident(
        outlook, started_at=frozen_now - timedelta(minutes=30), reports=40, expected=3.14159
    )
    incident.verdict = "confirmed"
    incident.save()
    body = client.get(f"/api/v1/incidents/{incident.pk}").json()
    assert body["url"] == f"http://testserver/incidents/{incident.pk}/"
    assert (body["service"], body["service_name"], body["verdict"]) == (
        "outlook",
        "Outlook",
        "confirmed",
    )
    assert body["opened_expected"] == 3.14
    assert body["detected_at"].startswith("2026-03-02T")
    assert client.get("/api/v1/incidents/999999").json() == {
        "detail": "No Incident matches the given query."
    }
