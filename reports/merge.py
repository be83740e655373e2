"""Merging a duplicate service into another: its reports, counts and incidents move with it.

The duplicate is then deactivated (its page 404s, its URL slug stays taken), and its names become
aliases of the target so searches still find it. Both must be in the same category, since
reports name problem types of their category.
"""

from django.db import connection, transaction
from django.utils import timezone

from analytics import pipeline
from analytics.models import (
    Baseline,
    CountryBucket,
    DetectorTuning,
    Incident,
    ProblemBucket,
    ServiceBucket,
    ServiceStatus,
)
from reports.models import AuditEntry, Comment, Quarantine, Report, Service

# Bucket tables and the columns that, with service and start, identify a row.
BUCKETS = [
    (ServiceBucket, "analytics_servicebucket", ["start"], ["reports", "simulated"]),
    (ProblemBucket, "analytics_problembucket", ["start", "problem_id"], ["reports"]),
    (CountryBucket, "analytics_countrybucket", ["start", "country"], ["reports"]),
]


class MergeError(ValueError):
    pass


def merge_services(source: Service, target: Service, user=None) -> dict[str, int]:
    if source.pk == target.pk:
        raise MergeError("A service cannot be merged into itself.")
    if source.category_id != target.category_id:
        raise MergeError(
            f"{source} ({source.category}) and {target} ({target.category}) are in different "
            "categories; move one first."
        )
    moved: dict[str, int] = {}
    with transaction.atomic():
        moved["reports"] = Report.objects.filter(service=source).update(service=target)
        moved["comments"] = Comment.objects.filter(service=source).update(service=target)
        Quarantine.objects.filter(service=source).update(service=target)
        with connection.cursor() as cursor:
            for model, table, keys, values in BUCKETS:
                cols = ", ".join(["service_id", *keys, *values])
                picked = ", ".join(["%s", *keys, *values])
                sums = ", ".join(f"{v} = {table}.{v} + EXCLUDED.{v}" for v in values)
                cursor.execute(
                    f"INSERT INTO {table} ({cols}) SELECT {picked} FROM {table} "
                    f"WHERE service_id = %s "
                    f"ON CONFLICT (service_id, {', '.join(keys)}) DO UPDATE SET {sums}",
                    [target.pk, source.pk],
                )
                moved[model._meta.model_name] = cursor.rowcount
                model.objects.filter(service=source).delete()
        # One unresolved incident per service: the duplicate's gives way to the target's.
        if Incident.objects.unresolved().filter(service=target).exists():
            Incident.objects.unresolved().filter(service=source).update(
                status="resolved", ended_at=timezone.now()
            )
        moved["incidents"] = Incident.objects.filter(service=source).update(service=target)
        for model in (Baseline, ServiceStatus, DetectorTuning):
            model.objects.filter(service=source).delete()
        names = {source.name.lower(), *source.aliases} - {target.name.lower(), *target.aliases}
        target.aliases = sorted({*target.aliases, *names})
        target.save(update_fields=["aliases"])
        source.is_active = False
        source.save(update_fields=["is_active"])
        AuditEntry.objects.create(
            user=user,
            action="merge services",
            detail=f"{source} ({source.slug}) into {target} ({target.slug}): {moved}",
            rows=moved["reports"],
        )
    pipeline.rebuild_baselines(timezone.now(), services=[target.pk])
    return moved
