"""A report sent through the API reaches a bucket through a real Celery worker and the page shows it."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from analytics.models import ServiceBucket
from analytics.tasks import refresh_analytics

ROOT = Path(__file__).resolve().parent.parent


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


def test_a_report_sent_to_the_api_is_counted_by_the_worker_and_shown_on_the_page(
    client, celery_worker
):
    from django.core.management import call_command

    call_command("load_catalog", verbosity=0)
    response = client.post(
        "/api/v1/services/outlook/reports",
        {"problem": "login", "comment": "end-to-end"},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 201

    refresh_analytics.apply_async(queue=celery_worker)
    deadline = time.monotonic() + 60
    while not ServiceBucket.objects.filter(service__slug="outlook").exists():
        assert time.monotonic() < deadline, "the worker did not bin the report within 60 s"
        time.sleep(0.3)

    assert ServiceBucket.objects.get(service__slug="outlook").reports == 1
    page = client.get("/services/outlook/")
    assert sum(page.context["chart"]["reports"]) == 1
    body = page.content.decode()
    assert "1 report in the last 15 minutes" in body
    assert "end-to-end" in body
