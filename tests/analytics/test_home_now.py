"""The home page is about what is wrong now: a strip per vendor in trouble, troubled cards
that say how many reports against the usual, a designed empty state, every service by name
with a monogram tile, and the 24-hour leaderboard below the trouble."""

import pytest

from analytics import pipeline
from analytics.models import Baseline
from tests.factories import NOON, make_reports
from tests.query_budgets import QUERIES


@pytest.fixture(autouse=True)
def now(frozen_now):
    return frozen_now


def troubled_section(body: str) -> str:
    return body[body.index('id="troubled-h"') : body.index('id="browse-h"')]


def test_a_troubled_card_says_how_many_reports_against_the_usual(client, outlook, now):
    Baseline.objects.create(service=outlook, expected=[1.0] * 2016, updated_at=NOON)
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    troubled = troubled_section(client.get("/").content.decode())
    assert "Outlook" in troubled and "30 in 15 min · typically 3" in troubled


def test_two_services_of_a_vendor_in_trouble_make_a_strip(client, outlook, teams, now):
    make_reports(outlook, 30, at=now)
    make_reports(teams, 30, at=now, prefix="t")
    pipeline.refresh_analytics(now)
    body = client.get("/").content.decode()
    strip = body[body.index('class="group-strip"') : body.index('id="troubled-h"')]
    assert "Microsoft 365</strong>: 2 of" in strip and 'href="/groups/microsoft-365/"' in strip


def test_one_service_in_trouble_makes_no_strip(client, outlook, now):
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    assert "group-strip" not in client.get("/").content.decode()


def test_a_quiet_day_says_so_and_the_leaderboard_comes_after_the_trouble(client, outlook, now):
    make_reports(outlook, 3, at=now)
    pipeline.refresh_analytics(now)
    body = client.get("/").content.decode()
    assert "None: reports for every service are within what is normal" in troubled_section(body)
    assert body.index('id="troubled-h"') < body.index('id="most-h"') < body.index('id="all-h"')


def test_every_service_by_name_with_a_monogram_tile(client, catalog, now):
    body = client.get("/").content.decode()
    everything = body[body.index('id="all-h"') :]
    names = [chunk.split("<")[0] for chunk in everything.split('class="card-name">')[1:]]
    assert names == sorted(names, key=str.lower) and len(names) >= 60
    assert '<span class="tile tile-' in everything and ">MT</span>" in everything  # Teams


def test_the_home_page_with_problems_runs_one_query_more(
    client, outlook, now, django_assert_num_queries
):
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    with django_assert_num_queries(QUERIES["home page, with problems"]):
        client.get("/")
