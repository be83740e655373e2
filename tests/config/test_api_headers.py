"""The read API can be used from other sites and cached; the report endpoint cannot be posted to
from another site's script."""

import pytest


@pytest.mark.parametrize(
    "path", ["/api/v1/services", "/api/v1/services/outlook", "/api/v1/groups", "/api/v1/incidents"]
)
def test_reads_allow_any_origin_and_revalidate_by_etag(client, catalog, path):
    response = client.get(path, HTTP_ORIGIN="https://status.example.org")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "max-age=30" in response["Cache-Control"] and "public" in response["Cache-Control"]
    again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_preflight_for_a_read_is_answered(client, catalog):
    response = client.options(
        "/api/v1/services",
        HTTP_ORIGIN="https://status.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]


def test_another_site_cannot_post_reports(client, catalog):
    preflight = client.options(
        "/api/v1/services/outlook/reports",
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert "Access-Control-Allow-Origin" not in preflight
    posted = client.post(
        "/api/v1/services/outlook/reports",
        {"problem": "login"},
        content_type="application/json",
        HTTP_ORIGIN="https://elsewhere.example",
    )
    assert "Access-Control-Allow-Origin" not in posted


def test_pages_are_not_opened_to_other_origins(client, catalog):
    assert "Access-Control-Allow-Origin" not in client.get("/", HTTP_ORIGIN="https://x.example")


def test_the_docs_explain_examples_limits_and_the_dedupe_rule_with_this_sites_settings(
    client, db, settings
):
    import yaml

    info = yaml.safe_load(client.get("/api/schema/").content)["info"]["description"]
    assert "curl https://tremor.example/api/v1/services/outlook" in info
    assert f"within {settings.TREMOR['DEDUPE_MINUTES']} minutes" in info
    assert settings.TREMOR["REPORT_THROTTLE_RATE"].replace(",", ", ") in info
    assert "If-None-Match" in info
    assert "[Back to the site](/)" in info
