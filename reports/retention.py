"""Raw reports are kept for a limited time; their counts (buckets), baselines and incidents stay.

Reports are partitioned by day, so retention works in whole UTC days: a day's partition is
dropped once the whole day is older than the retention period (a report is kept between
REPORT_RETENTION_DAYS and one day more). Rows of that age left in the default partition are
deleted in batches. Deleting a report deletes its comment with it. Buckets are never touched
here; the prune leaves a mark (PruneMark) before which the binning never recounts, since it
would find nothing and empty the history.
"""

from datetime import UTC, datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction

from reports.models import PruneMark, Report
from reports.partitions import day_start, drop_partitions_before

BATCH = 10_000  # rows per DELETE, so the default partition is never locked for long


def retention_cutoff(now: datetime, days: int | None = None) -> datetime | None:
    """Reports created before this (a UTC midnight) are due for deletion; `days` overrides
    REPORT_RETENTION_DAYS (None: retention is switched off)."""
    days = cast(int, settings.TREMOR["REPORT_RETENTION_DAYS"]) if days is None else days
    if days <= 0:
        return None
    return day_start((now - timedelta(days=days)).astimezone(UTC).date())


def prune_reports(cutoff: datetime) -> int:
    """Delete reports (and their comments) created before `cutoff`, a UTC midnight from
    `retention_cutoff`; returns how many. The mark moves first, so that a recount running
    meanwhile already leaves the counts of that time alone (analytics.binning)."""
    PruneMark.advance(cutoff)
    deleted = drop_partitions_before(cutoff.astimezone(UTC).date())
    while True:  # what is left of that age sits in the default partition
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
