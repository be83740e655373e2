"""Raw reports are kept for a limited time; their counts (buckets), baselines and incidents stay.

Deleting a report deletes its comment with it. Buckets are never touched here, and re-binning a
window older than the retention period is refused (`refresh_analytics --since`), since it would
recount nothing and empty the history.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from reports.models import Report

BATCH = 10_000  # rows per DELETE, so the table is never locked for long


def retention_cutoff(now: datetime) -> datetime | None:
    """Reports created before this are due for deletion (None: retention is switched off)."""
    days = settings.TREMOR["REPORT_RETENTION_DAYS"]
    return now - timedelta(days=days) if days > 0 else None


def prune_reports(cutoff: datetime) -> int:
    """Delete reports (and their comments) created before `cutoff`; returns how many."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Report.objects.filter(created_at__lt=cutoff)
                .order_by("created_at")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return deleted
            Report.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
