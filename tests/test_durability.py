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
import urllib.request

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=180,
    ).stdout  # fmt: skip


def test_an_accepted_report_survives_the_database_killed_outright(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_NAME")}
    env |= {"TREMOR_VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
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
        # The next process to need the database starts it again (config.embedded_db).
        found = manage(env, "shell", "-c", "from reports.models import Comment, Report; "
                       f"r = Report.objects.get(pk={report_id}); "
                       "print(r.is_counted, Comment.objects.get(report=r).body)")  # fmt: skip
        assert found.strip().splitlines()[-1] == "True survives"
    finally:
        web.terminate()
        web.wait(timeout=30)
        subprocess.run(
            [sys.executable, "-c", "from pathlib import Path; from config.embedded_db import "
             f"stop_embedded; stop_embedded(Path({str(pgdata)!r}))"],
            cwd=ROOT, env=env, timeout=60,
        )  # fmt: skip
