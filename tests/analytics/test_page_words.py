"""Plain words for visitors, numbers for experts: the banner's multiple of the usual number,
titles and sharing tags that carry the status, plurals."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from analytics import pipeline
from analytics.templatetags.tremor import against_usual, status_headline
from tests.factories import make_incident, make_reports


@pytest.mark.parametrize(
    ("reports", "expected", "words"),
    [
        (154, 5.0, "about 30 times the usual number of reports"),
        (10, 5.0, "about twice the usual number of reports"),
        (12, 1.0, "about 12 times the usual number of reports"),
        (6, 0.1, "far more reports than usual (usually almost none)"),
        (20, 19.0, "about the usual number of reports"),
        (4, 0.1, ""),  # too few to say anything
        (5, 40.0, ""),  # fewer than usual: nothing alarming to say
    ],
)
def test_the_multiple_of_the_usual_number_is_said_in_words(reports, expected, words):
    assert against_usual(reports, expected) == words


def test_the_headline_carries_the_level_and_its_start_in_utc():
    since = SimpleNamespace(level=2, since=datetime(2026, 12, 4, 4, 55, tzinfo=UTC))
    assert status_headline("Outlook", since) == "Outlook: problems since 04:55 UTC"
    assert status_headline("Outlook", SimpleNamespace(level=1)) == "Outlook: possible problems"
    assert status_headline("Outlook", None) == "Outlook: no current problems"


def test_a_service_with_problems_says_so_in_its_title_and_sharing_tags(client, outlook, frozen_now):
    make_reports(outlook, 30, at=frozen_now)
    pipeline.refresh_analytics(frozen_now)
    body = client.get("/services/outlook/").content.decode()
    title = re.search(r"<title>(.*?)</title>", body).group(1)
    assert re.fullmatch(r"Outlook: problems since \d\d:\d\d UTC · Tremor", title)
    assert f'<meta property="og:title" content="{title}">' in body
    assert '<meta name="twitter:card" content="summary">' in body
    assert re.search(r'og:description" content="30 reports in the last 15 minutes', body)
    banner = body[body.index('id="status"') : body.index("</section>", body.index('id="status"'))]
    assert re.search(
        r"That is (about \d+ times the usual number|far more reports than usual)", banner
    )


def banner(**context) -> str:
    service = SimpleNamespace(name="Outlook", slug="outlook", group=None)
    return render_to_string(
        "analytics/_service_top.html", {"service": service, "recent_minutes": 15, **context}
    )


def test_no_problems_above_a_rise_says_why_not_yet(db):
    text = banner(status=SimpleNamespace(level=0), recent_reports=12, recent_expected=1.0)
    assert "no current problems" in text
    assert "about 12 times the usual number of reports, not yet enough" in text


def test_a_quiet_banner_adds_nothing_and_counts_in_the_singular(db):
    text = banner(status=SimpleNamespace(level=0), recent_reports=1, recent_expected=1.0)
    assert "1 report in the last 15 minutes" in text and "That is" not in text


def test_the_probability_is_on_the_incident_page_not_in_the_banner(client, outlook, frozen_now):
    incident = make_incident(
        outlook, started_at=frozen_now - timedelta(minutes=30), reports=200, expected=5
    )
    assert "p = " not in client.get("/services/outlook/").content.decode()
    assert "p = " in client.get(f"/incidents/{incident.pk}/").content.decode()


DEMO = "Demo data: some of the reports counted on this site"


def test_every_public_page_says_when_the_site_shows_simulated_reports(client, outlook, frozen_now):
    incident = make_incident(
        outlook, started_at=frozen_now - timedelta(hours=1), reports=9, expected=1
    )
    pipeline.refresh_analytics(frozen_now)
    assert DEMO not in client.get("/").content.decode()  # real reports only: no notice

    make_reports(outlook, 3, at=frozen_now - timedelta(minutes=2), simulated=True)
    pipeline.refresh_analytics(frozen_now + timedelta(seconds=1))  # a new run: a new page key
    pages = [
        "/",
        f"/groups/{outlook.group.slug}/",
        f"/categories/{outlook.category.slug}/",
        f"/incidents/{incident.pk}/",
        "/search/?q=mail",
        "/about/",
    ]
    for url in pages:
        assert DEMO in client.get(url).content.decode(), url
    # The service page says how many of its own reports are simulated instead.
    service = client.get("/services/outlook/").content.decode()
    assert DEMO not in service and "Demo data: 3 of the 3 reports" in service


def test_a_group_page_shares_how_many_of_its_services_are_affected(client, outlook, frozen_now):
    make_reports(outlook, 30, at=frozen_now)
    pipeline.refresh_analytics(frozen_now)
    body = client.get(f"/groups/{outlook.group.slug}/").content.decode()
    size = outlook.group.services.filter(is_active=True).count()
    assert f'og:title" content="Microsoft 365: 1 of {size} services affected · Tremor"' in body
