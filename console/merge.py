"""Merging a duplicate service into another: its reports, counts and incidents move with it.

The duplicate is then deactivated (its page 404s, its URL slug stays taken), and its names become
aliases of the target so searches still find it. Both must be in the same category, since
reports name problem types of their category. The counts and incidents are moved by analytics.
"""

from django.contrib.auth.models import User
from django.db import transaction

from analytics.merge import merge_service_analytics, refit_after_merge
from reports.models import AuditEntry, Comment, Quarantine, Report, Service


class MergeError(ValueError):
    """A merge the rules refuse (itself, or across categories); the message says why."""


def merge_services(source: Service, target: Service, user: User | None = None) -> dict[str, int]:
    """Merge `source` into `target` in one transaction, audited; returns the rows moved."""
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
        moved |= merge_service_analytics(source.pk, target.pk)
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
    refit_after_merge(target.pk)
    return moved
