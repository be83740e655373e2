"""Fixtures shared by every test folder; the helpers that build rows are in tests/factories.py."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from analytics.page_cache import forget_analytics_stamp
from console.roles import ADMINISTRATORS, MODERATORS
from reports import salts, throttling
from reports.catalog import forget_cached_catalog
from reports.models import Service
from reports.moderation import forget_blocklist
from tests.factories import NOON, ROOT, make_staff

pytest_plugins = ["tests.browsing"]  # the chromium fixtures: browser, desktop, phone, site


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache, catalogue lookups and the analytics stamp in
    # per-process ones.
    cache.clear()
    salts.forget()  # the day's salt was in the cache just cleared
    forget_cached_catalog()
    forget_blocklist()
    forget_analytics_stamp()
    yield
    cache.clear()
    forget_blocklist()
    forget_analytics_stamp()


@pytest.fixture
def catalog(db):
    call_command("load_catalog", verbosity=0)


@pytest.fixture
def outlook(catalog) -> Service:
    return Service.objects.get(slug="outlook")


@pytest.fixture
def teams(catalog) -> Service:
    return Service.objects.get(slug="microsoft-teams")


@pytest.fixture
def frozen_now(monkeypatch):
    """Django's clock stopped 2½ minutes into a 5-minute bucket on a Monday (NOON + 150 s), so
    every window and chart has one length."""
    moment = NOON + timedelta(minutes=2, seconds=30)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def throttle_clock(monkeypatch):
    """The submission throttles' timer, frozen at 100 s into the epoch (a minute window began
    at 60 s); move it with `throttle_clock["now"] = …`."""
    moment = {"now": 100.0}
    monkeypatch.setattr(throttling, "clock", lambda: moment["now"])
    return moment


@pytest.fixture
def moderator(client, catalog):
    """A test client signed in as a member of the moderators' role."""
    client.force_login(make_staff("mo", MODERATORS))
    return client


@pytest.fixture
def administrator(client, catalog):
    """A test client signed in as a member of the administrators' role."""
    client.force_login(make_staff("ad", ADMINISTRATORS))
    return client


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A real worker process on the test database, listening on a queue of its own."""
    queue = f"tremor-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "CELERY_QUEUE": queue,
    }
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "INFO", "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "ready" not in (tmp_path / "worker.log").read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail("worker did not start:\n" + (tmp_path / "worker.log").read_text())
            time.sleep(0.2)
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def pytest_configure(config):
    # The test run is an entry point: with no DATABASE_URL it starts the embedded server before
    # pytest-django creates the test database on it.
    from config.embedded_db import start_embedded_database

    start_embedded_database()


def pytest_sessionfinish(session, exitstatus):
    # Leave no embedded PostgreSQL behind if this test run was the one that started it.
    from django.conf import settings

    from config import embedded_db

    if embedded_db.started_here:
        embedded_db.stop_embedded(settings.VAR_DIR / "pgdata")
