"""Proxies are trusted by address: a client that reaches the web server directly cannot mint
reporters with a forged X-Forwarded-For, and gunicorn listens on loopback and logs no address."""

import json
import os
import socket
import subprocess
import sys
import time

from reports.models import Report
from tests.factories import ROOT

COMPOSE_PROXY = ["172.28.0.10/32"]  # compose's proxy service


def test_a_direct_client_with_forged_headers_is_one_reporter(client, outlook, settings):
    settings.TREMOR = {**settings.TREMOR, "TRUSTED_PROXIES": COMPOSE_PROXY}
    settings.TREMOR["REPORT_THROTTLE_RATE"] = "1000/min"
    for i in range(60):
        response = client.post(
            "/api/v1/services/outlook/reports",
            json.dumps({"problem": "login"}),
            content_type="application/json",
            REMOTE_ADDR="198.51.100.7",  # it connected to the published port itself
            HTTP_X_FORWARDED_FOR=f"203.0.{i // 250}.{i % 250}, 172.28.0.10",
        )
        assert response.status_code in (200, 201)
    assert Report.objects.count() == 60 and Report.objects.counted().count() == 1


def test_through_the_trusted_proxy_each_client_counts(client, outlook, settings):
    settings.TREMOR = {**settings.TREMOR, "TRUSTED_PROXIES": COMPOSE_PROXY}
    for i in range(5):
        client.post(
            "/api/v1/services/outlook/reports",
            json.dumps({"problem": "login"}),
            content_type="application/json",
            REMOTE_ADDR="172.28.0.10",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    assert Report.objects.counted().count() == 5


def test_a_setting_that_is_not_a_network_stops_the_start(tmp_path):
    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8,the-proxy"}
    run = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode != 0
    assert "TRUSTED_PROXIES: 'the-proxy' is not a network" in run.stderr
    env = {**os.environ, "TRUSTED_PROXY_COUNT": "1"}
    run = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert "set TRUSTED_PROXIES to your proxies' networks" in run.stderr


def test_gunicorn_listens_on_loopback_unless_told(monkeypatch):
    import importlib

    from config import gunicorn

    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    assert importlib.reload(gunicorn).bind == "127.0.0.1:8000"
    compose = (ROOT / "compose.yaml").read_text()
    assert "GUNICORN_BIND: 0.0.0.0:8000" in compose and "ipv4_address: 172.28.0.10" in compose


def test_gunicorns_error_log_carries_no_client_address(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgiref.simple_server:demo_app",
         "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "no gunicorn"
                time.sleep(0.2)
        with connection:
            # A request line gunicorn refuses; it writes a warning naming the peer.
            connection.sendall(b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert connection.recv(1000).startswith(b"HTTP/1.1 400")
        deadline = time.monotonic() + 10
        while "Invalid request" not in (text := (tmp_path / "gunicorn.log").read_text()):
            assert time.monotonic() < deadline, text
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Invalid request from ip=[address]" in text
    assert "127.0.0.1" not in text
