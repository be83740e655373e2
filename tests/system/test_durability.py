"""A 2xx answer means the report is committed: it survives PostgreSQL killed outright.

The report goes through gunicorn and the real report API into a PostgreSQL of the test's own
(the embedded default, in a scratch directory), which is then SIGKILLed: no shutdown, no
checkpoint. When it starts again it recovers from its write-ahead log (synchronous_commit is
on, PostgreSQL's default), and the report is there.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.factories import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=180,
    ).stdout  # fmt: skip


def _post(port: int) -> tuple[int, str | None]:
    """POST a report; (status, Retry-After)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/services/outlook/reports",
        data=json.dumps({"problem": "login"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


def test_an_accepted_report_survives_the_database_killed_outright(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_NAME")}
    env |= {"TREMOR_VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    # Every report here comes from one address; the throttle is not what is tested.
    env |= {"REPORT_THROTTLE_RATE": "1000/min", "NETWORK_THROTTLE_RATE": "1000/min"}
    env.pop("CACHE_URL", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_catalog")
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    pgdata = tmp_path / "pgdata"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/services/outlook/reports",
            data=json.dumps({"problem": "login", "comment": "survives"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            report_id = json.loads(response.read())["id"]
        setting = manage(env, "shell", "-c", "from django.db import connection; "
                         "c = connection.cursor(); c.execute('SHOW synchronous_commit'); "
                         "print(c.fetchone()[0])")  # fmt: skip
        assert setting.strip().splitlines()[-1] == "on"

        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        while True:
            try:
                os.kill(postmaster, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                break
        # While it is down, reports get a 503 with Retry-After, and the web's pool keeps
        # failing to reconnect (which used to leave it backing off long after the return).
        refused = []
        until = time.monotonic() + 5
        while time.monotonic() < until:
            refused.append(_post(port))
            time.sleep(0.25)
        assert {status for status, _ in refused} == {503}
        assert all(retry for _, retry in refused)
        # The next process to need the database starts it again (config.embedded_db).
        found = manage(env, "shell", "-c", "from reports.models import Comment, Report; "
                       f"r = Report.objects.get(pk={report_id}); "
                       "print(r.is_counted, Comment.objects.get(report=r).body)")  # fmt: skip
        assert found.strip().splitlines()[-1] == "True survives"
        # The web recovers by itself, within seconds of the database's return.
        back = time.monotonic()
        while _post(port)[0] not in (200, 201):  # 200: counted already (a duplicate)
            assert time.monotonic() - back < 6, "the web still refuses reports"
            time.sleep(0.2)
    finally:
        web.terminate()
        web.wait(timeout=30)
        subprocess.run(
            [sys.executable, "-c", "from pathlib import Path; from config.embedded_db import "
             f"stop_embedded; stop_embedded(Path({str(pgdata)!r}))"],
            cwd=ROOT, env=env, timeout=60,
        )  # fmt: skip
