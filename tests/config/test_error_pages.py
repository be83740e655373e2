"""Refused requests get pages of the site (JSON under /api/), and near-misses are forgiven:
a trailing slash on the API, an upper-case slug, a typo in the search box."""

import pytest
from django.test import Client

from reports.models import Report


def test_a_404_for_a_service_address_suggests_the_closest_service(client, catalog):
    response = client.get("/services/microsoft-teamz/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'Did you mean <a href="/services/microsoft-teams/">Microsoft Teams</a>?' in body
    assert 'role="search"' in body and "css/site.css" in body
    assert "<script>" not in body  # nothing inline: the page works under the CSP


def test_a_404_elsewhere_suggests_nothing_and_runs_no_query(
    client, catalog, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/wp-login.php")
    assert response.status_code == 404 and "Did you mean" not in response.content.decode()


def test_an_address_that_exists_in_lower_case_redirects_there(client, outlook):
    response = client.get("/services/Outlook/", {"comments": "2"})
    assert response.status_code == 301
    assert response["Location"] == "/services/outlook/?comments=2"


def test_a_page_address_without_its_slash_redirects_to_it(client, outlook):
    response = client.get("/services/outlook")
    assert response.status_code == 301 and response["Location"] == "/services/outlook/"


def test_a_get_to_the_forms_post_address_is_a_405_page_that_keeps_allow(client, outlook):
    response = client.get("/services/outlook/report")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert "does not answer GET requests; it answers POST." in body and "site.css" in body


def test_a_form_sent_without_its_csrf_token_gets_a_page(catalog):
    # The report form asks again on its own page (tests/reports); other forms get this one.
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "The form had expired" in body and "site.css" in body


@pytest.fixture
def failing_home(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("the test breaks the page")

    monkeypatch.setattr("analytics.views.service_rows", explode)
    monkeypatch.setattr("analytics.api.ServiceListAPI.get_queryset", explode)


def test_a_server_error_is_the_sites_page_and_json_under_the_api(catalog, failing_home):
    browser = Client(raise_request_exception=False)
    page = browser.get("/")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.content.decode()
    answer = browser.get("/api/v1/services")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "Server error; nothing was changed by it."}


def test_the_api_forgives_a_trailing_slash_on_reads_and_on_reports(client, outlook):
    assert client.get("/api/v1/services/").json() == client.get("/api/v1/services").json()
    response = client.post(
        "/api/v1/services/outlook/reports/", {"problem": "login"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert Report.objects.count() == 1
    assert client.get("/api/v1/services/no-such/").status_code == 404


def test_problem_slugs_are_accepted_in_any_case(client, outlook):
    api = client.post(
        "/api/v1/services/outlook/reports", {"problem": "LOGIN"}, content_type="application/json"
    )
    assert api.status_code == 201 and api.json()["problem"] == "login"
    client.post("/services/outlook/report", {"problem": "Login"}, REMOTE_ADDR="192.0.2.9")
    assert list(Report.objects.values_list("problem__slug", flat=True)) == ["login", "login"]


def test_the_search_forgives_typos_and_offers_groups(client, catalog):
    assert client.get("/search/", {"q": "gmial"})["Location"] == "/services/gmail/"
    assert client.get("/search/", {"q": "outlok"})["Location"] == "/services/outlook/"
    microsoft = client.get("/search/", {"q": "microsoft"})
    assert "Microsoft 365" in [group.name for group in microsoft.context["groups"]]
    assert 'href="/groups/microsoft-365/"' in microsoft.content.decode()
    assert client.get("/search/", {"q": "Microsoft 365"})["Location"] == "/groups/microsoft-365/"
    # Closeness is only the fallback: a name containing the text wins, so "teams" is not Steam.
    teams = client.get("/search/", {"q": "teams"})
    assert teams["Location"] == "/services/microsoft-teams/"
