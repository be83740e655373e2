"""The production proxy (config/nginx.conf.template, run by a real nginx in front of the site):
it keeps what Django marks public and nothing that is about one visitor."""

import os
import shutil
import subprocess
import urllib.request
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics import pipeline


@pytest.fixture
def proxy(live_server, transactional_db, tmp_path):
    if shutil.which("nginx") is None:
        message = "the proxy tests need nginx (apt-get install -y nginx); `make test` installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a skipped test is a failure)")
        pytest.skip(message)
    from bench.ingest import start_nginx

    call_command("load_catalog", verbosity=0)
    pipeline.refresh_analytics(timezone.now() - timedelta(seconds=1))
    stack: list[subprocess.Popen] = []
    port = start_nginx(int(live_server.url.rsplit(":", 1)[1]), stack, tmp_path)
    yield f"http://127.0.0.1:{port}"
    for process in stack:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_service_page_is_served_from_the_proxys_cache(proxy):
    status, first, body = fetch(proxy + "/services/outlook/")
    assert status == 200 and first["X-Cache-Status"] == "MISS"
    status, again, same = fetch(proxy + "/services/outlook/")
    assert again["X-Cache-Status"] == "HIT" and same == body
    _, series, _ = fetch(proxy + "/api/v1/services/outlook/series")
    _, series, _ = fetch(proxy + "/api/v1/services/outlook/series")
    assert series["X-Cache-Status"] == "HIT"
    # A query string of no meaning to Django, or another spelling of gzip, is the same entry.
    _, noise, _ = fetch(proxy + "/services/outlook/?utm=1", **{"Accept-Encoding": "gzip, br"})
    assert noise["X-Cache-Status"] == "HIT"
    _, other_page, _ = fetch(proxy + "/services/outlook/?comments=2")
    assert other_page["X-Cache-Status"] == "MISS"


def test_nothing_about_one_visitor_is_kept(proxy):
    for _ in range(2):
        _, state, _ = fetch(proxy + "/report-form/state")
        assert state["X-Cache-Status"] != "HIT" and "csrftoken" in state["Set-Cookie"]
    # The page a visitor sees just after reporting carries the messages cookie: passed through
    # (Django itself ignores a cookie that does not decode, and answers from its own cache).
    for _ in range(2):
        _, after, _ = fetch(proxy + "/services/outlook/", Cookie="messages=x")
        assert after["X-Cache-Status"] == "BYPASS" and "public" in after["Cache-Control"]


def test_the_proxy_replaces_a_forwarded_address_sent_by_the_client(proxy, settings):
    from reports.models import Report

    settings.TREMOR = {**settings.TREMOR, "TRUSTED_PROXIES": ["127.0.0.0/8"]}
    request = urllib.request.Request(
        proxy + "/api/v1/services/outlook/reports",
        data=b'{"problem": "login"}',
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"},
        method="POST",
    )
    for forged in ("203.0.113.1", "203.0.113.2", "198.51.100.9"):
        request.headers["X-forwarded-for"] = forged  # a client inventing a new address each time
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as error:
            assert error.code in (200, 201, 429), error.read()
    assert Report.objects.counted().count() == 1  # one reporter: the address nginx saw
