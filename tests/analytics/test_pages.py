from datetime import UTC, timedelta

import pytest

from analytics import pipeline
from analytics.binning import refresh_buckets
from analytics.models import GroupIncident
from reports.models import Comment, Report
from tests.factories import make_incident, make_report, make_reports
from tests.query_budgets import QUERIES


@pytest.fixture(autouse=True)
def now(frozen_now):
    """Page tests run at one fixed moment (the wall clock gave charts of 288 or 289 points)."""
    return frozen_now


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
    with django_assert_num_queries(QUERIES["home page"]):
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
    assert "I have a problem with Outlook: Login" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert response.context["problems_day"][0].slug == "login"
    assert response.context["problems_day"][0].percent == pytest.approx(96.8, abs=0.1)
    assert sum(response.context["chart"]["reports"]) == 31
    assert len(response.context["chart"]["t"]) == 289  # 24 hours of buckets and the filling one


def test_the_service_page_runs_a_fixed_number_of_queries(
    client, outlook, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES["service page, rendered"]):
        client.get("/services/outlook/")
    with django_assert_num_queries(QUERIES["service page, from the cache"]):
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


def test_the_form_is_throttled_per_reporter(client, outlook, settings, throttle_clock):
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


def opened_tag(moment) -> str:
    """The <time> element the pages print for a moment (analytics.templatetags.tremor.moment)."""
    from analytics.templatetags.tremor import moment as render

    return str(render(moment))


def test_the_service_page_says_when_the_detector_decided_and_when_reports_began_rising(
    client, outlook, now
):
    incident = make_incident(
        outlook,
        started_at=now - timedelta(minutes=40),
        detected_at=now - timedelta(minutes=10),
        reports=412,
        expected=18,
        peak_reports=500,
    )
    incident.opened_buckets = 3
    incident.save()
    body = client.get("/services/outlook/").content.decode()
    opened = (now - timedelta(minutes=10)).astimezone(UTC).strftime("%H:%M")
    rising = (now - timedelta(minutes=40)).astimezone(UTC).strftime("%H:%M")
    assert f"opened at {opened_tag(now - timedelta(minutes=10))}" in body
    assert "on 412 reports in 15 minutes vs 18.0 expected (22.9×); reports" in body
    assert "p = " not in body  # probabilities are for the incident page
    assert f"reports began rising at {opened_tag(now - timedelta(minutes=40))}" in body
    assert opened != rising


def test_times_are_marked_up_for_the_visitors_time_zone_with_utc_in_the_title(client, outlook, now):
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    body = client.get("/services/outlook/").content.decode()
    assert 'data-local="time" title="' in body and " UTC</time>" in body
    assert "js/local-time.js" in body


def test_the_group_page_shows_members_a_combined_chart_and_group_incidents(client, outlook, now):
    make_reports(outlook, 30, at=now)
    pipeline.refresh_analytics(now)
    teams = outlook.group.services.get(slug="microsoft-teams")
    make_reports(teams, 25, at=now, prefix="t")
    pipeline.refresh_analytics(now + timedelta(seconds=30))
    response = client.get(f"/groups/{outlook.group.slug}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Outlook" in body and "Microsoft Teams" in body
    assert "show problems" in body
    assert sum(response.context["chart"]["reports"]) == 55
    assert response.context["incidents"], "Outlook and Teams together make a group incident"
    assert "/incidents/" in body


def test_the_group_page_runs_a_fixed_number_of_queries(
    client, outlook, now, django_assert_num_queries
):
    teams = outlook.group.services.get(slug="microsoft-teams")
    for hours_ago in (5, 2):  # two group incidents of two services each
        moment = now - timedelta(hours=hours_ago)
        end = moment + timedelta(minutes=30)
        group_incident = GroupIncident.objects.create(
            group=outlook.group, started_at=moment, ended_at=end
        )
        for service in (outlook, teams):
            incident = make_incident(
                service, started_at=moment, ended_at=end, reports=40, expected=3
            )
            incident.group_incident = group_incident
            incident.save()
    # group, services, sparklines, buckets, baselines, group incidents + their incidents/services
    with django_assert_num_queries(QUERIES["group page"]):
        client.get(f"/groups/{outlook.group.slug}/")


def test_an_unknown_group_or_incident_is_a_404(client, catalog):
    assert client.get("/groups/nope/").status_code == 404
    assert client.get("/incidents/999999/").status_code == 404


def test_the_incident_page_shows_its_timeline_evidence_and_chart(client, outlook, now):
    start = now - timedelta(hours=3)
    incident = make_incident(
        outlook,
        started_at=start,
        ended_at=start + timedelta(minutes=45),
        reports=412,
        expected=18.0,
        peak_reports=900,
    )
    incident.countries = [{"country": "US", "share": 0.7, "excess": 300}]
    incident.save()
    response = client.get(f"/incidents/{incident.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Reports began rising" in body and "Opened" in body
    assert "Peak" in body and "Resolved" in body
    assert "on 412 reports in 5 minutes against 18.0 expected (22.9×" in body
    assert "United States: 70 %" in body
    chart = response.context["chart"]
    assert chart["bands"] == [
        [int(start.timestamp()), int((start + timedelta(minutes=45)).timestamp())]
    ]
    # Two hours either side of the incident, in 5-minute buckets.
    assert 55 <= len(chart["t"]) <= 58


def test_the_incident_page_runs_a_fixed_number_of_queries(
    client, outlook, now, django_assert_num_queries
):
    incident = make_incident(outlook, started_at=now - timedelta(hours=1), reports=40, expected=3)
    # incident with service and group, series buckets, baseline, official updates, maintenance
    with django_assert_num_queries(QUERIES["incident page"]):
        client.get(f"/incidents/{incident.pk}/")


def test_the_about_and_privacy_pages_say_how_and_what(client, db):
    about = client.get("/about/").content.decode()
    assert "How reports become a status" in about and "Possible problems" in about
    privacy = client.get("/privacy/").content.decode()
    assert "Your internet address itself is never stored" in privacy
    assert "deleted\nafter <strong>90 days</strong>" in privacy


def test_search_finds_services_by_name_and_alias_and_one_match_opens_it(client, outlook):
    response = client.get("/search/", {"q": "hotmail"})  # an alias of Outlook
    assert response.status_code == 302 and response["Location"] == "/services/outlook/"
    response = client.get("/search/", {"q": "microsoft"})
    names = [row.service.name for row in response.context["rows"]]
    assert "Microsoft Teams" in names and len(names) > 1
    body = client.get("/search/", {"q": "<b>zzz</b>"}).content.decode()
    assert "No service matches" in body and "&lt;b&gt;zzz&lt;/b&gt;" in body
    assert client.get("/search/", {"q": "  "})["Location"] == "/"


def test_the_api_suggests_services_for_the_search_box(client, outlook):
    body = client.get("/api/v1/services", {"search": "outl", "limit": 8}).json()
    assert [s["slug"] for s in body["results"]][0] == "outlook"


def test_the_home_page_offers_search_most_reported_and_browsing(client, outlook, now):
    make_reports(outlook, 3, at=now - timedelta(hours=2))
    refresh_buckets(now - timedelta(hours=3), now)
    response = client.get("/")
    body = response.content.decode()
    assert 'role="search"' in body and "js/search.js" in body
    assert [r.service.slug for r in response.context["most_reported"]] == ["outlook"]
    assert (
        f"/groups/{outlook.group.slug}/" in body and f"/categories/{outlook.category.slug}/" in body
    )
    category = client.get(f"/categories/{outlook.category.slug}/").content.decode()
    assert "Outlook" in category


def test_the_service_page_maps_where_reports_come_from_and_masks_small_counts(client, outlook, now):
    make_reports(outlook, 30, at=now, country="US")
    make_reports(outlook, 2, at=now, country="IS", prefix="is")
    pipeline.refresh_analytics(now)
    response = client.get("/services/outlook/")
    body = response.content.decode()
    assert '<path d="M' in body and 'class="s5" data-country="US"' in body
    assert "United States: 94 % (30 reports)" in body
    assert "Iceland: &lt;5 reports" in body and "94 %" in body
    assert 'class="s1" data-country="IS"' in body
    top = response.context["top_countries"]
    assert [(c.code, c.shown, c.percent) for c in top] == [("US", "30", 94), ("IS", "<5", None)]


def test_the_cached_service_page_is_renewed_by_the_analytics_job(client, outlook, now):
    pipeline.refresh_analytics(now - timedelta(minutes=1))
    assert "0 reports in the last 15 minutes" in client.get("/services/outlook/").content.decode()
    make_reports(outlook, 3, at=now)
    assert "0 reports in the last" in client.get("/services/outlook/").content.decode()  # cached
    pipeline.refresh_analytics(now)  # the per-minute job writes the status: a new cache key
    assert "3 reports in the last 15 minutes" in client.get("/services/outlook/").content.decode()


def test_every_visitor_gets_the_same_cached_page_and_a_token_of_their_own(outlook):
    from django.test import Client

    pages, tokens = [], []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get("/services/outlook/")
        # Nothing on the page is about the visitor: no token, no cookie, no Vary: Cookie.
        assert 'name="csrfmiddlewaretoken" value=""' in page.content.decode()
        assert not page.cookies and "Cookie" not in page.get("Vary", "")
        pages.append(page.content)
        state = visitor.get("/report-form/state")
        assert "no-store" in state["Cache-Control"] and "csrftoken" in state.cookies
        token = state.json()["csrf_token"]
        tokens.append(token)
        response = visitor.post(
            "/services/outlook/report", {"problem": "login", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
    assert pages[0] == pages[1] and tokens[0] != tokens[1]
    assert Report.objects.count() == 2


def test_a_form_sent_without_its_token_is_confirmed_on_a_page_of_its_own(outlook):
    from django.test import Client

    visitor = Client(enforce_csrf_checks=True)  # a browser without JavaScript
    visitor.get("/services/outlook/")
    response = visitor.post(
        "/services/outlook/report", {"problem": "sending", "comment": "no mail since 9"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and not Report.objects.exists()
    assert "Nothing has been sent yet" in body and "private" in response["Cache-Control"]
    assert ">no mail since 9</textarea>" in body
    buttons = body.split('name="problem" value="')[1:]
    assert buttons[0].startswith("sending")  # the choice comes first
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    shown = body.split('name="shown" value="')[1].split('"')[0]
    confirmed = visitor.post(
        "/services/outlook/report",
        {"problem": "sending", "comment": "no mail since 9", "csrfmiddlewaretoken": token,
         "shown": shown},
    )  # fmt: skip
    assert confirmed.status_code == 302
    assert Report.objects.get().problem.slug == "sending"


def test_a_form_from_another_site_is_confirmed_without_its_choice_or_comment(outlook):
    from django.test import Client

    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post(
        "/services/outlook/report",
        {"problem": "sending", "comment": "buy cheap pills"},
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    body = response.content.decode()
    assert "Nothing has been sent yet" in body and "buy cheap pills" not in body
    assert body.split('name="problem" value="')[1].startswith("login")  # the usual order
    assert not Report.objects.exists()


def test_a_forged_messages_cookie_does_not_skip_the_cache(client, outlook):
    client.cookies["messages"] = "forged"
    response = client.get("/services/outlook/")
    assert "public" in response["Cache-Control"]


def test_the_cached_page_is_served_without_a_render_and_revalidates(
    client, outlook, now, django_assert_max_num_queries
):
    pipeline.refresh_analytics(now)
    first = client.get("/services/outlook/?comments=2&utm_source=x", HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip" and "Accept-Encoding" in first["Vary"]
    assert "public" in first["Cache-Control"] and "max-age=30" in first["Cache-Control"]
    with django_assert_max_num_queries(0):  # one cache read
        again = client.get("/services/outlook/?comments=2", HTTP_ACCEPT_ENCODING="gzip")
    assert again.content == first.content
    revalidated = client.get(
        "/services/outlook/?comments=2",
        HTTP_IF_NONE_MATCH=first["ETag"],
        HTTP_ACCEPT_ENCODING="gzip",
    )
    assert revalidated.status_code == 304
    # The plain bytes are another representation, with an ETag of their own.
    plain = client.get("/services/outlook/?comments=2", HTTP_IF_NONE_MATCH=first["ETag"])
    assert plain.status_code == 200 and plain["ETag"] != first["ETag"]


def test_the_page_after_a_report_shows_its_confirmation_to_that_visitor_only(client, outlook):
    client.get("/services/outlook/")
    client.post("/services/outlook/report", {"problem": "login"})
    after = client.get("/services/outlook/")
    assert "is counted" in after.content.decode()
    assert "no-store" in after["Cache-Control"] and "private" in after["Cache-Control"]
    assert "is counted" not in client.get("/services/outlook/").content.decode()


def test_comments_are_newest_first_and_paginated(client, outlook, now):
    for i in range(25):
        make_report(
            outlook, at=now - timedelta(minutes=25 - i), key=f"{i:032d}", comment=f"comment {i}"
        )
    first = client.get("/services/outlook/").content.decode()
    assert first.index("comment 24") < first.index("comment 23")
    assert "comment 4<" not in first and "Older comments" in first
    second = client.get("/services/outlook/?comments=2").content.decode()
    assert "comment 4<" in second and "comment 0<" in second and "comment 5<" not in second
    assert "Newer comments" in second
    assert client.get("/services/outlook/?comments=zzz").status_code == 200


def test_a_first_visit_to_the_service_page_transfers_under_150_kb_compressed(client, outlook, now):
    import gzip
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    for i, country in enumerate(["US", "GB", "DE", "FR", "BR", "IN", "JP", "CA"]):
        make_reports(outlook, 20, at=now, country=country, prefix=f"c{i}")
    make_report(outlook, at=now, key="z" * 32, comment="slow " * 150)
    pipeline.refresh_analytics(now)
    response = client.get("/services/outlook/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    total = len(response.content)
    html = gzip.decompress(response.content).decode()
    assets = re.findall(r'(?:href|src)="/static/([^"]+)"', html)
    assert any(a.endswith("uPlot.iife.min.js") for a in assets) and "css/site.css" in assets
    for asset in assets:
        total += len(gzip.compress(Path(finders.find(asset)).read_bytes()))
    print(f"a first visit to the service page transfers {total / 1024:.0f} KB compressed")
    assert total < 150 * 1024, f"{total / 1024:.0f} KB"


def test_search_and_category_pages_run_a_fixed_number_of_queries(
    client, outlook, django_assert_num_queries
):
    category = outlook.category.slug
    with django_assert_num_queries(QUERIES["search"]):
        client.get("/search/", {"q": "micro"})
    with django_assert_num_queries(QUERIES["category page"]):
        client.get(f"/categories/{category}/")


def test_a_bot_that_fills_the_hidden_trap_field_is_stored_but_not_counted(client, outlook):
    body = client.get("/services/outlook/").content.decode()
    assert 'class="trap" aria-hidden="true"' in body and 'name="website"' in body
    response = client.post(
        "/services/outlook/report", {"problem": "login", "website": "http://spam.example"}
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert not report.is_counted and report.not_counted_reason == "honeypot"


def test_no_public_page_or_read_answer_reads_the_raw_reports(client, outlook, now):
    """Pages and the read API are built from buckets, statuses, incidents and quarantine
    totals: a flood of reports costs them nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.models import Incident
    from console.quarantine import apply_quarantine
    from reports.models import Quarantine

    make_reports(outlook, 30, at=now, comment="down")
    pipeline.refresh_analytics(now)  # opens an incident on the 30 reports
    incident = Incident.objects.get(service=outlook)
    apply_quarantine(
        Quarantine(
            service=outlook, start=now - timedelta(hours=2), end=now - timedelta(hours=1),
            reporter_key="k" * 32, reason="x",
        ),
        None,
        recount=True,
    )  # fmt: skip
    paths = [
        "/", "/services/outlook/", f"/groups/{outlook.group.slug}/", f"/incidents/{incident.pk}/",
        "/search/?q=out", "/api/v1/services", "/api/v1/services/outlook",
        "/api/v1/services/outlook/series", "/api/v1/incidents",
    ]  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        for path in paths:
            assert client.get(path).status_code == 200, path
    assert len(queries) > 0
    assert [q["sql"] for q in queries if "reports_report" in q["sql"]] == []
