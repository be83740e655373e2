"""One way to change rows from the console and leave a trace of it."""

from django.db.models import QuerySet

from reports.models import AuditEntry


def audited_update(user, queryset: QuerySet, action: str, **changes) -> int:
    """`queryset.update(**changes)`, recorded in the audit log with the ids it changed."""
    ids = list(queryset.values_list("pk", flat=True))
    count = queryset.model.objects.filter(pk__in=ids).update(**changes)
    name = queryset.model._meta.verbose_name_plural
    AuditEntry.objects.create(
        user=user, action=action, rows=count, detail=f"{name} " + ", ".join(map(str, ids))
    )
    return count
