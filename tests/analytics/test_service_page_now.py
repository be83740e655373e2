"""The service page follows the outage: the map shows the last hour (as the banner's countries
do), problem types nobody reported are left out, and empty parts say what will appear."""

from datetime import timedelta

import pytest

from analytics import pipeline
from analytics.binning import refresh_buckets
from tests.factories import make_reports


@pytest.fixture(autouse=True)
def now(frozen_now):
    return frozen_now


def where(body: str) -> str:
    return body[body.index('id="where-h"') : body.index("</section>", body.index('id="where-h"'))]


def test_the_map_shows_the_last_hour_during_an_outage(client, outlook, now):
    make_reports(outlook, 40, at=now - timedelta(hours=6), country="GB", prefix="old")
    make_reports(outlook, 30, at=now - timedelta(minutes=10), country="US", prefix="new")
    refresh_buckets(now - timedelta(hours=7), now)
    pipeline.refresh_analytics(now)
    section = where(client.get("/services/outlook/").content.decode())
    assert "Where reports come from: the last hour" in section
    assert "Top countries, last hour" in section
    assert "United States" in section and "United Kingdom" not in section


def test_without_reports_in_the_last_hour_the_map_shows_the_day(client, outlook, now):
    make_reports(outlook, 40, at=now - timedelta(hours=6), country="GB")
    refresh_buckets(now - timedelta(hours=7), now)
    pipeline.refresh_analytics(now)
    section = where(client.get("/services/outlook/").content.decode())
    assert "Top countries, last 24 hours" in section and "United Kingdom" in section


def test_only_reported_problem_types_are_listed(client, outlook, now):
    make_reports(outlook, 6, at=now - timedelta(minutes=10), problem="login")
    pipeline.refresh_analytics(now)
    body = client.get("/services/outlook/").content.decode()
    problems = body[body.index('id="problems-h"') : body.index('id="where-h"')]
    assert "Login" in problems and ">100%<" in problems and ">0%<" not in problems


def test_empty_parts_say_what_will_appear(client, outlook, now):
    body = client.get("/services/outlook/").content.decode()
    assert "No reports yet: the first appear within a minute of being sent." in body
    assert "No reports in the last hour." in body
    assert "The first appear here within a minute of being sent." in where(body)
