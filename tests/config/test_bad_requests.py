"""Bad input gets a clear 4xx, JSON under /api/, and never reaches a view that would fail."""

import json

import pytest

from reports.models import Report

NUL_URLS = [
    "/api/v1/services?category=%00",
    "/api/v1/services?group=%00",
    "/api/v1/services?search=%00",
    "/api/v1/incidents?service=%00",
    "/api/v1/services/outlook/series?hours=%00",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_byte_in_an_api_query_parameter_is_a_json_400_naming_it(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "contains a NUL byte" in response.json()["detail"]
    assert response.json()["field"] == url.split("?")[1].split("=")[0]


def test_a_nul_byte_in_the_search_box_is_a_400_not_a_server_error(client, catalog):
    response = client.get("/search/", {"q": "out\x00look"})
    assert response.status_code == 400
    assert "NUL byte" in response.content.decode()


def test_a_nul_byte_in_an_api_path_is_a_json_400(client, catalog):
    assert client.get("/api/v1/services/a%00b/series").json()["detail"] == (
        "The path contains a NUL byte."
    )


def test_a_slug_the_url_pattern_refuses_is_a_json_404_under_the_api(client, catalog):
    response = client.get("/api/v1/services/NOT_a_slug!/series")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_outside_the_api_a_404_is_still_the_sites_page(client, catalog):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_json_body_nested_a_thousand_deep_is_a_400_and_stores_nothing(client, outlook):
    body = "[" * 1000 + "]" * 1000
    response = client.post(
        "/api/v1/services/outlook/reports", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not Report.objects.exists()


def test_a_body_over_the_limit_is_a_json_413_with_the_limit(client, outlook, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"problem": "login", "comment": "x" * 2000})
    response = client.post(
        "/api/v1/services/outlook/reports", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["limit"] == 1000
    assert not Report.objects.exists()


def test_a_body_within_the_limit_still_goes_through(client, outlook, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        "/api/v1/services/outlook/reports",
        {"problem": "login", "comment": "slow"},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 201


def test_the_schema_declares_the_refusals_of_the_report_endpoint(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    answers = schema["paths"]["/api/v1/services/{slug}/reports"]["post"]["responses"]
    assert {"400", "404", "413", "429"} <= set(answers)
