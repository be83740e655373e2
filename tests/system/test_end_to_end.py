"""A report sent through the API reaches a bucket through a real Celery worker and the page shows it."""

import time

from analytics.models import ServiceBucket
from analytics.tasks import refresh_analytics


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
