"""A quarantine saved in the console is recounted by a real Celery worker after the commit."""

import time
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from analytics.binning import refresh_buckets
from analytics.models import ServiceBucket
from console import tasks
from console.roles import MODERATORS
from reports.models import Quarantine, Report, Service
from tests.factories import make_report, make_staff


def bucket_total(service: Service) -> int:
    return sum(ServiceBucket.objects.filter(service=service).values_list("reports", flat=True))


def test_a_quarantine_saved_in_the_admin_is_recounted_by_the_worker(
    client, celery_worker, monkeypatch
):
    call_command("load_catalog", verbosity=0)
    outlook = Service.objects.get(slug="outlook")
    now = timezone.now().replace(second=0, microsecond=0)
    make_report(outlook, at=now - timedelta(minutes=40), key="a" * 32, country="GB")
    for i in range(30):
        make_report(outlook, at=now - timedelta(minutes=20), key=f"{i:032x}")
    Report.objects.filter(country="US").update(network_key="n" * 32)
    refresh_buckets(now - timedelta(hours=1), now)
    assert bucket_total(outlook) == 31
    # The task goes to this test's worker (its own queue), through the real broker.
    task = tasks.recount_after_quarantine
    monkeypatch.setattr(task, "delay", lambda *args: task.apply_async(args, queue=celery_worker))
    client.force_login(make_staff("mo", MODERATORS))

    start, end = now - timedelta(hours=1), now
    response = client.post(
        "/admin/reports/quarantine/add/",
        {
            "service": outlook.pk, "start_0": f"{start:%Y-%m-%d}", "start_1": f"{start:%H:%M:%S}",
            "end_0": f"{end:%Y-%m-%d}", "end_1": f"{end:%H:%M:%S}", "network_key": "n" * 32,
            "reporter_key": "", "ua_family": "", "comments": "hide",
            "reason": "a flood from one network",
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert Quarantine.objects.get().reports_count == 30
    deadline = time.monotonic() + 60
    while bucket_total(outlook) != 1:
        assert time.monotonic() < deadline, "the worker did not recount the window within 60 s"
        time.sleep(0.3)
