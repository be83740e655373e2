"""The worker and its embedded scheduler under faults: no orphan ticking, no giving up."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from config.celery import app
from tests.factories import ROOT


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent id from /proc, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (zombies left out)."""
    parents: dict[int, int] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        found = state_and_parent(int(proc.name))
        if found is not None and found[0] != "Z":
            parents[int(proc.name)] = found[1]
    below, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return below


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if (state_and_parent(pid) or ("Z",))[0] != "Z"}


def test_the_embedded_scheduler_ends_when_its_worker_is_killed_outright(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_QUEUE": "tremor-orphan-test",
    }
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--concurrency", "1",
         "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while (
            "beat: Starting" not in (tmp_path / "worker.log").read_text()
            or len(descendants(worker.pid)) < 2
        ):  # the pool's process and the scheduler's
            assert worker.poll() is None and time.monotonic() < deadline, log.name
            time.sleep(0.2)
        children = descendants(worker.pid)
        time.sleep(3)
        assert alive(children) == children  # the scheduler does not die while its worker lives
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 15
        while alive(children):
            assert time.monotonic() < deadline, f"orphans still running: {alive(children)}"
            time.sleep(0.2)
    finally:
        worker.kill()
        for pid in alive(children):  # only when the test failed
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_the_worker_keeps_trying_a_broker_that_is_down():
    # Celery gives up after 100 attempts by default (about 45 minutes of backoff); an outage of
    # the broker for an hour must not leave Tremor without its worker.
    assert app.conf.broker_connection_max_retries is None
    assert app.conf.broker_connection_retry_on_startup is True
