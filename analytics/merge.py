"""Merging a duplicate service's counts and incidents into another service.

The console moves the reports and decides the merge (console.merge); this moves what detection
built on them. Where raw reports stand behind the buckets, the target's are recounted from the
reports now under it, with distinct reporters as every recount counts them (someone who reported
both services in one interval is one reporter of the merged one). Where none do (before the
retention prune's mark, or in imported history) the two services' bucket rows are added up, the
best there is, and the imported spans move with them. The duplicate's incidents move (its
unresolved one gives way to the target's), and its baseline, status and tuning go, to be refitted
for the target.
"""

from typing import Any

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from analytics.baselines import rebuild_baselines
from analytics.binning import refresh_buckets
from analytics.models import (
    Baseline,
    CountryBucket,
    DetectorTuning,
    ImportedHistory,
    Incident,
    ProblemBucket,
    ServiceBucket,
    ServiceStatus,
)
from reports.models import PruneMark, Report

# Bucket tables and the columns that, with service and start, identify a row.
BUCKETS = [
    (ServiceBucket, "analytics_servicebucket", ["start"], ["reports", "simulated"]),
    (ProblemBucket, "analytics_problembucket", ["start", "problem_id"], ["reports"]),
    (CountryBucket, "analytics_countrybucket", ["start", "country"], ["reports"]),
]


def merge_service_analytics(source_id: int, target_id: int) -> dict[str, int]:
    """Move the source's buckets and incidents to the target; call inside the merge's
    transaction, after the reports have moved. Returns the rows moved per table."""
    moved: dict[str, int] = {}
    pruned = PruneMark.pruned_before()
    spans = list(ImportedHistory.objects.filter(service_id=source_id).values_list("start", "end"))
    # The source's buckets that no raw report stands behind, as a condition on their start.
    sealed = ["start < %s"] if pruned is not None else []
    sealed += ["(start >= %s AND start < %s)"] * len(spans)
    sealed_params: list[Any] = ([pruned] if pruned is not None else []) + [
        moment for span in spans for moment in span
    ]
    where = f" AND ({' OR '.join(sealed)})" if sealed else " AND false"
    with connection.cursor() as cursor:
        for model, table, keys, values in BUCKETS:
            cols = ", ".join(["service_id", *keys, *values])
            picked = ", ".join(["%s", *keys, *values])
            sums = ", ".join(f"{v} = {table}.{v} + EXCLUDED.{v}" for v in values)
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {picked} FROM {table} "
                f"WHERE service_id = %s{where} "
                f"ON CONFLICT (service_id, {', '.join(keys)}) DO UPDATE SET {sums}",
                [target_id, source_id, *sealed_params],
            )
            moved[str(model._meta.model_name)] = cursor.rowcount
            model._default_manager.filter(service_id=source_id).delete()
    ImportedHistory.objects.filter(service_id=source_id).update(service_id=target_id)
    first = Report.objects.filter(service_id=target_id).aggregate(first=Min("created_at"))["first"]
    if first is not None:
        recount = refresh_buckets(first, timezone.now(), services=[target_id])
        moved["recounted"] = recount.buckets
    # One unresolved incident per service: the duplicate's gives way to the target's.
    if Incident.objects.unresolved().filter(service_id=target_id).exists():
        Incident.objects.unresolved().filter(service_id=source_id).update(
            status="resolved", ended_at=timezone.now()
        )
    moved["incidents"] = Incident.objects.filter(service_id=source_id).update(service_id=target_id)
    for model in (Baseline, ServiceStatus, DetectorTuning):
        model.objects.filter(service_id=source_id).delete()
    return moved


def refit_after_merge(target_id: int) -> None:
    """Refit the target's baseline on its merged history (after the merge has committed)."""
    rebuild_baselines(timezone.now(), services=[target_id])
