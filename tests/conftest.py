import hashlib
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from analytics.models import Incident
from analytics.page_cache import forget_analytics_stamp
from reports.catalog import forget_cached_catalog
from reports.models import Report, Service
from reports.moderation import forget_blocklist
from reports.services import Reporter, submit_report

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache, catalogue lookups and the analytics stamp in
    # per-process ones.
    cache.clear()
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


def make_report(
    service: Service,
    *,
    at: datetime,
    key: str = "k" * 32,
    problem: str | None = None,
    country: str = "US",
    comment: str = "",
) -> Report:
    problem_type = (
        service.category.problem_types.get(slug=problem)
        if problem
        else service.category.problem_types.first()
    )
    return submit_report(
        service=service,
        problem=problem_type,
        reporter=Reporter(key=key, ua_family="Firefox", country=country),
        comment=comment,
        now=at,
    ).report


def make_reports(service: Service, count: int, *, at: datetime, prefix: str = "r", **kw) -> None:
    """`count` reports from distinct reporters at `at`."""
    for i in range(count):
        make_report(service, at=at, key=hashlib.md5(f"{prefix}-{i}".encode()).hexdigest(), **kw)


def make_incident(
    service: Service,
    *,
    started_at: datetime,
    reports: int,
    expected: float,
    peak_reports: int | None = None,
    ended_at: datetime | None = None,
    detected_at: datetime | None = None,
) -> Incident:
    """An incident opened on `reports` vs `expected` in one bucket (decided at its end unless
    `detected_at` says otherwise), resolved when `ended_at` is given."""
    return Incident.objects.create(
        service=service,
        status="resolved" if ended_at else "open",
        started_at=started_at,
        detected_at=detected_at or started_at + timedelta(minutes=5),
        ended_at=ended_at,
        last_active_at=ended_at or started_at,
        opened_reports=reports,
        opened_expected=expected,
        peak_at=started_at,
        peak_reports=peak_reports or reports,
        peak_expected=expected,
    )


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
