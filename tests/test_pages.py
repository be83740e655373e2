from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import pipeline
from reports.models import Comment, Report
from tests.conftest import make_incident, make_report, make_reports


@pytest.fixture
def now():
    return timezone.now()


def test_the_home_page_lists_every_service_with_problems_first(client, outlook, now):
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Problems right now" in body
    assert body.index("Outlook") < body.index("Gmail")
    assert body.count('class="card ') >= 60 + 1  # every service, plus Outlook among the troubled


def test_the_home_page_runs_a_fixed_number_of_queries(client, outlook, django_assert_num_queries):
    with django_assert_num_queries(2):  # services with status, hourly sparklines
        client.get("/")


def test_the_service_page_shows_status_chart_data_problems_and_buttons(client, outlook, now):
    make_reports(outlook, 30, at=now, problem="login")
    make_report(
        outlook, at=now, key="x" * 32, problem="sending", comment="<script>alert(1)</script>"
    )
    pipeline.refresh_analytics(now)
    response = client.get("/services/outlook/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "User reports indicate problems at Outlook since" in body
    assert 'id="chart-data"' in body and "uPlot.iife.min.js" in body
    assert "I have a problem with Outlook → Login" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert response.context["problems_day"][0].slug == "login"
    assert response.context["problems_day"][0].percent == pytest.approx(96.8, abs=0.1)
    assert sum(response.context["chart"]["reports"]) == 31
    assert len(response.context["chart"]["t"]) in (288, 289)


def test_the_service_page_runs_a_fixed_number_of_queries(
    client, outlook, django_assert_num_queries
):
    with django_assert_num_queries(10):
        client.get("/services/outlook/")


def test_pressing_a_problem_button_stores_a_report_and_confirms(client, outlook):
    response = client.post(
        "/services/outlook/report", {"problem": "login", "comment": "down for me"}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith("/services/outlook/#report")
    assert "is counted" in response.content.decode()
    assert Report.objects.get().problem.slug == "login"
    assert Comment.objects.get().body == "down for me"


def test_the_form_rejects_an_unknown_problem_with_a_message(client, outlook):
    response = client.post("/services/outlook/report", {"problem": "teleport"}, follow=True)
    assert "Choose one of the problems" in response.content.decode()
    assert not Report.objects.exists()


def test_the_form_rejects_a_too_long_comment(client, outlook):
    response = client.post(
        "/services/outlook/report", {"problem": "login", "comment": "x" * 1001}, follow=True
    )
    assert "at most 1000 characters" in response.content.decode()
    assert not Report.objects.exists()


def test_the_form_is_throttled_per_reporter(client, outlook, settings):
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "2/min"}
    for _ in range(2):
        client.post("/services/outlook/report", {"problem": "login"})
    response = client.post("/services/outlook/report", {"problem": "login"}, follow=True)
    assert "Too many reports" in response.content.decode()
    assert Report.objects.count() == 2


def test_an_unknown_service_page_is_a_404(client, catalog):
    assert client.get("/services/nope/").status_code == 404


def test_simulated_data_is_labelled(client, outlook, now):
    from analytics.scenarios import SimulatedReport
    from analytics.simulation import insert_simulated, service_profiles

    _, problem_ids, service_ids = service_profiles(seed=1)
    insert_simulated([SimulatedReport("outlook", now, 0, "US")] * 3, problem_ids, service_ids)
    pipeline.refresh_analytics(now)
    assert "simulated" in client.get("/services/outlook/").content.decode()


def test_the_incident_evidence_is_on_the_service_page(client, outlook, now):
    make_incident(
        outlook, started_at=now - timedelta(minutes=10), reports=412, expected=18, peak_reports=500
    )
    body = client.get("/services/outlook/").content.decode()
    assert "412 reports vs 18.0 expected (22.9×, p = " in body
