"""`make run`'s launcher serves the site with a worker, and Ctrl-C stops every process it started."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from django.db import connection

from tests.factories import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_stack_serves_the_home_page_and_stops_cleanly_on_ctrl_c(transactional_db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_QUEUE": f"run-stack-{port}",
    }
    log = (tmp_path / "stack.log").open("w+")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "run_stack", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    assert r.status == 200
                    assert b"Outlook" in r.read()
                    # The production server with threads, not runserver.
                    assert r.headers["Server"].startswith("gunicorn")
                    break
            except OSError:
                assert stack.poll() is None, (tmp_path / "stack.log").read_text()
                assert time.monotonic() < deadline, "home page not served within 90 s"
                time.sleep(0.5)
        # WhiteNoise serves the static files.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/site.css", timeout=5) as r:
            assert r.status == 200 and b"{" in r.read()

        # /metrics sums the processes of gunicorn (two here): 6 more requests for the home
        # page, spread over them, add 6 to its count.
        def home_count() -> float:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                metrics = r.read().decode()
            line = 'tremor_request_seconds_count{method="GET",route="",status="2xx"} '
            return float(metrics.split(line, 1)[1].split()[0])

        before = home_count()
        for _ in range(6):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
        assert home_count() - before == 6
        # The worker started too (Celery prints "ready" once it consumes).
        while "ready" not in (tmp_path / "stack.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "stack.log").read_text()
            time.sleep(0.5)
    finally:
        stack.send_signal(signal.SIGINT)
        code = stack.wait(timeout=60)
        log.close()
    assert code == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the web server is still listening"
