"""Celery tasks of the reports app."""

from celery import shared_task
from django.utils import timezone

from reports.partitions import ensure_upcoming_partitions
from reports.retention import prune_reports as prune
from reports.retention import retention_cutoff


@shared_task(soft_time_limit=3000, time_limit=3300, ignore_result=True)
def prune_reports() -> int:
    cutoff = retention_cutoff(timezone.now())
    return prune(cutoff) if cutoff else 0


@shared_task(soft_time_limit=300, time_limit=330, ignore_result=True)
def create_report_partitions() -> list[str]:
    """Keep the next days' partitions of the reports table made (hourly: cheap when none is
    missing, and one failed run, say on a lock timeout, is made up within the hour)."""
    return ensure_upcoming_partitions(timezone.now().date())
