"""The public site in a real browser: Debian's chromium driven by Playwright against a live
server on the test database, with a real Celery worker for the analytics job.

Without chromium the tests are skipped with a message (`make test` installs it when it can);
under CI (CI=true) a missing browser is a failure, not a skip.
"""

import hashlib
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import pipeline
from analytics.models import ServiceBucket
from analytics.tasks import refresh_analytics
from reports.models import Comment, Report, Service
from tests.browsing import wait_until
from tests.factories import make_incident, make_reports


def test_a_visitor_searches_reports_a_problem_and_sees_it_counted(
    site, desktop, celery_worker, settings
):
    # The visitor comes through one trusted proxy from an address in the United States.
    settings.TREMOR = {**settings.TREMOR, "TRUSTED_PROXIES": ["127.0.0.0/8"]}
    page = desktop.page
    page.set_extra_http_headers({"X-Forwarded-For": "8.8.8.8"})
    page.goto(site + "/")
    search = page.get_by_label("Find a service")
    search.fill("hotm")  # an alias: the suggestions offer the service's name
    page.wait_for_selector("#search-suggestions option[value='Outlook']", state="attached")
    search.fill("Outlook")
    search.press("Enter")
    page.wait_for_url(site + "/services/outlook/")
    assert "User reports indicate no current problems at Outlook" in page.inner_text("#status")

    page.get_by_role("button", name="I have a problem with Outlook: Login").click()
    page.wait_for_url("**/services/outlook/#report")
    assert "Thanks" in page.inner_text("[role=status]")

    refresh_analytics.apply_async(queue=celery_worker)
    deadline = time.monotonic() + 60
    while not ServiceBucket.objects.filter(service__slug="outlook").exists():
        assert time.monotonic() < deadline, "the worker did not count the report within 60 s"
        time.sleep(0.3)
    # The page follows the run once its stamp is in the cache (a web process reads it at most
    # once a second).
    deadline = time.monotonic() + 10
    while True:
        page.reload()
        wait_until(page, "window.tremorChart !== undefined")
        points, total = page.evaluate(
            "[tremorChart.data[0].length,"
            " tremorChart.data[1].concat(tremorChart.data[3]).reduce((a, b) => a + (b || 0), 0)]"
        )
        if total == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert total == 1
    assert points in (288, 289)  # 24 hours of 5-minute buckets, the filling one included
    assert page.locator("#chart canvas").count() == 1
    assert "1 report in the last 15 minutes" in page.inner_text("#status")
    # The map colours the reporting country, and the list names it (masked: one report).
    # One report: masked, so the lightest shade (as "<5" in the table), not a 100 % one.
    assert page.locator('.world-map path[data-country="US"]').get_attribute("class") == "s1"
    assert page.locator('.world-map path[data-country="FR"]').get_attribute("class") == "s0"
    assert "United States\t<5" in page.inner_text(".top-countries tbody")
    desktop.assert_clean()


def test_times_are_shown_in_the_visitors_time_zone(site, browser):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    outlook = Service.objects.get(slug="outlook")
    start = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0) - timedelta(days=1)
    incident = make_incident(
        outlook, started_at=start, ended_at=start + timedelta(minutes=30), reports=40, expected=3
    )
    page.goto(f"{site}/incidents/{incident.pk}/")
    started = page.locator(".timeline time[data-local]").first
    assert started.get_attribute("title").endswith("03:00 UTC")
    assert "12:00" in started.inner_text()  # 03:00 UTC is noon in Tokyo
    assert "GMT+9" in started.inner_text()  # the zone is named, as the server's UTC is
    assert "GMT+9" in page.inner_text("#chart-zone")
    context.close()


@pytest.mark.parametrize(
    "path", ["/", "/services/outlook/", "/groups/microsoft-365/", "/about/", "/privacy/"]
)
def test_pages_fit_a_phone_without_horizontal_scrolling(site, phone, path):
    phone.page.goto(site + path)
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide at 360px"
    phone.assert_clean()


def test_the_chart_offers_its_numbers_as_a_table_and_a_seven_day_view(site, desktop):
    page = desktop.page
    page.goto(site + "/services/outlook/")
    page.get_by_role("button", name="Show as a table").click()
    rows = page.locator("#chart-table tbody tr")
    assert rows.count() == page.evaluate("tremorChart.data[0].length")
    page.get_by_role("button", name="7 days").click()
    wait_until(page, "tremorChart.data[0].length < 200")
    assert page.evaluate("tremorChart.data[0].length") in (168, 169)  # a week of hours
    assert page.locator("#chart-table tbody tr").count() in (168, 169)
    assert "(so far)" in page.inner_text("#chart-table tbody tr:last-child")
    desktop.assert_clean()


def test_the_filling_interval_is_so_far_not_a_drop_to_zero(site, desktop):
    """During an outage the current interval holds a minute of reports: a dot, not the line's end."""
    outlook = Service.objects.get(slug="outlook")
    now = timezone.now()
    make_reports(outlook, 30, at=now - timedelta(minutes=6))
    pipeline.refresh_analytics(now)
    page = desktop.page
    page.goto(site + "/services/outlook/")
    wait_until(page, "window.tremorChart !== undefined")
    line_end, dot = page.evaluate(
        "[tremorChart.data[1][tremorChart.data[1].length - 1],"
        " tremorChart.data[3][tremorChart.data[3].length - 1]]"
    )
    assert line_end is None and dot is not None
    assert page.locator("#chart svg.chart-svg").count() == 0  # the script replaced it
    desktop.assert_clean()


def test_without_javascript_the_chart_is_drawn_by_the_server(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    outlook = Service.objects.get(slug="outlook")
    now = timezone.now()
    make_reports(outlook, 12, at=now - timedelta(minutes=6))
    pipeline.refresh_analytics(now)
    page.goto(site + "/services/outlook/")
    chart = page.locator("#chart svg.chart-svg")
    assert chart.count() == 1 and chart.is_visible()
    assert page.locator("#chart svg polyline.svg-reports").count() == 1
    assert page.locator("#chart svg circle.svg-so-far").count() == 1
    assert "times in UTC" in page.inner_text(".chart-legend")
    context.close()


def test_the_service_page_refreshes_its_numbers_without_a_reload(site, desktop):
    page = desktop.page
    page.goto(site + "/services/outlook/")
    assert "0 reports in the last 15 minutes" in page.inner_text("#status")
    page.evaluate("window.tremorMarker = 1")  # gone if the page were reloaded
    outlook = Service.objects.get(slug="outlook")
    now = timezone.now()
    make_reports(outlook, 40, at=now)
    pipeline.refresh_analytics(now)
    page.evaluate("tremorRefresh()")  # what the page does every minute
    wait_until(
        page, "document.getElementById('status').innerText.includes('40 reports in the last')"
    )
    assert "User reports indicate problems at Outlook" in page.inner_text("#status")
    assert page.evaluate("window.tremorMarker") == 1
    assert page.locator("#status time[data-local]").count() >= 1
    desktop.assert_clean()


def in_view(page, selector: str) -> bool:
    """Whether the element's box lies within the window as it is scrolled now."""
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        selector,
    )


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_report_buttons_are_on_the_first_screen_and_the_answer_where_the_visitor_is(
    site, screen, request
):
    viewer = request.getfixturevalue(screen)
    page = viewer.page
    page.goto(site + "/services/outlook/")
    login = page.get_by_role("button", name="I have a problem with Outlook: Login")
    assert login.inner_text() == "Login"
    assert in_view(page, ".problem-buttons button"), "the report buttons are below the first screen"
    page.get_by_text("Add a comment (optional)").click()
    # A link in a comment waits for a moderator, and the answer says so.
    page.get_by_label("What is not working?").fill("see https://example.com/status")
    login.click()
    page.wait_for_url("**/services/outlook/#report")
    answer = page.locator("#report [role=status]")
    assert "is counted" in answer.inner_text()
    assert "shown once a moderator has checked it" in answer.inner_text()
    assert in_view(page, "#report [role=status]"), "the answer is printed out of sight"
    viewer.assert_clean()


def test_with_proof_of_work_on_the_browser_does_the_work_and_the_report_counts(
    site, desktop, settings
):
    settings.TREMOR = {
        **settings.TREMOR,
        "POW": {"enabled": True, "base_bits": 12, "max_bits": 16, "load_step": 600},
    }
    page = desktop.page
    page.goto(site + "/services/outlook/")
    # The page's own SHA-256 agrees with Python's (first 32 bits, as a signed integer).
    for text in ("abc", "x" * 100, "challenge:12345"):
        expected = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)
        assert page.evaluate(f"tremorSha256First32({text!r})") == expected
    page.get_by_role("button", name="I have a problem with Outlook: Login").click()
    page.wait_for_url("**/services/outlook/#report")
    assert "is counted" in page.inner_text("[role=status]")
    assert Report.objects.counted().count() == 1
    desktop.assert_clean()


def test_without_javascript_a_report_is_confirmed_once_more_and_counted(site, browser):
    # The cached page carries no token; with no script to fetch one, the server asks again.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/services/outlook/")
    page.get_by_text("Add a comment (optional)").click()  # <details> opens without scripts
    page.get_by_label("What is not working?").fill("cannot sign in")
    page.get_by_role("button", name="I have a problem with Outlook: Login").click()
    assert "Nothing has been sent yet" in page.inner_text("#report")
    assert not Report.objects.exists()
    assert page.get_by_label("What is not working?").input_value() == "cannot sign in"
    page.get_by_role("button", name="I have a problem with Outlook: Login").click()
    page.wait_for_url("**/services/outlook/#report")
    assert "is counted" in page.inner_text("[role=status]")
    assert Report.objects.counted().count() == 1
    assert Comment.objects.get().body == "cannot sign in"
    context.close()
