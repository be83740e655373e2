"""Merging a duplicate service's counts and incidents into another service.

The console moves the reports and decides the merge (console.merge); this moves what detection
built on them: bucket rows are added up, the duplicate's incidents move (its unresolved one gives
way to the target's), and its baseline, status and tuning go, to be refitted for the target.
"""

from django.db import connection
from django.utils import timezone

from analytics.baselines import rebuild_baselines
from analytics.models import (
    Baseline,
    CountryBucket,
    DetectorTuning,
    Incident,
    ProblemBucket,
    ServiceBucket,
    ServiceStatus,
)

# Bucket tables and the columns that, with service and start, identify a row.
BUCKETS = [
    (ServiceBucket, "analytics_servicebucket", ["start"], ["reports", "simulated"]),
    (ProblemBucket, "analytics_problembucket", ["start", "problem_id"], ["reports"]),
    (CountryBucket, "analytics_countrybucket", ["start", "country"], ["reports"]),
]


def merge_service_analytics(source_id: int, target_id: int) -> dict[str, int]:
    """Move the source's buckets and incidents to the target; call inside the merge's
    transaction. Returns the rows moved per table."""
    moved: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model, table, keys, values in BUCKETS:
            cols = ", ".join(["service_id", *keys, *values])
            picked = ", ".join(["%s", *keys, *values])
            sums = ", ".join(f"{v} = {table}.{v} + EXCLUDED.{v}" for v in values)
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {picked} FROM {table} "
                f"WHERE service_id = %s "
                f"ON CONFLICT (service_id, {', '.join(keys)}) DO UPDATE SET {sums}",
                [target_id, source_id],
            )
            moved[str(model._meta.model_name)] = cursor.rowcount
            model._default_manager.filter(service_id=source_id).delete()
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
