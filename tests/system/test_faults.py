"""Faults answered quickly and plainly: the database gone gives a 503 with Retry-After."""

import pytest
from django.db import OperationalError

import reports.api
import reports.views


def refuse(*args, **kwargs):
    raise OperationalError("couldn't get a connection after 1.00 sec")


def test_a_report_while_the_database_is_down_gets_a_json_503(client, outlook, monkeypatch):
    monkeypatch.setattr(reports.api, "submit_pending", refuse)
    response = client.post(
        "/api/v1/services/outlook/reports", {"problem": "login"}, content_type="application/json"
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert "nothing was stored" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/services/outlook/report"])
def test_the_form_while_the_database_is_down_gets_a_page_saying_so(
    client, outlook, monkeypatch, path
):
    monkeypatch.setattr(reports.views, "submit_pending", refuse)
    page = client.get("/services/outlook/")
    assert page.status_code == 200
    response = client.post(path, {"problem": "login"})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"briefly unavailable" in response.content


def test_other_errors_are_not_taken_for_an_outage(client, outlook, monkeypatch):
    def crash(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(reports.api, "submit_pending", crash)
    with pytest.raises(ValueError):
        client.post(
            "/api/v1/services/outlook/reports",
            {"problem": "login"},
            content_type="application/json",
        )


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_database_cache_and_broker(client, db):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_says_which_dependency_is_missing(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_probes_are_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/services/").status_code == 301


def test_after_a_failure_reports_get_the_503_at_once_for_two_seconds(client, outlook, monkeypatch):
    import time

    from config.middleware import DatabaseUnavailableMiddleware

    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        refuse()

    monkeypatch.setattr(reports.api, "submit_pending", down)
    post = {"content_type": "application/json", "REMOTE_ADDR": "198.51.100.8"}
    statuses = [
        client.post("/api/v1/services/outlook/reports", {"problem": "login"}, **post).status_code
        for _ in range(5)
    ]
    assert statuses == [503] * 5 and len(calls) == 1  # four answered without trying
    assert client.get("/services/outlook/").status_code == 200  # reads still try
    time.sleep(DatabaseUnavailableMiddleware.BREAKER_SECONDS + 0.1)
    monkeypatch.undo()  # the database is back
    response = client.post("/api/v1/services/outlook/reports", {"problem": "login"}, **post)
    assert response.status_code == 201
