"""Every change an operator makes in the console leaves a trace: who, what, when, the row ids.

`audited_update` is the one way actions change rows in bulk. `AuditedAdmin` is the base of every
console ModelAdmin: its change forms (with their inlines) and deletions write an AuditEntry in
the same transaction as the change, with each changed field's old and new value. A comment's
text is never copied into the log: a comment deleted on request must be gone.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet

from reports.models import AuditEntry

# Fields whose values stay out of the log (their change is recorded, not what they say).
PRIVATE_FIELDS = {"body", "password"}
VALUE_LIMIT = 120


def audited_update(user, queryset: QuerySet, action: str, **changes) -> int:
    """`queryset.update(**changes)`, recorded in the audit log with the ids it changed."""
    ids = list(queryset.values_list("pk", flat=True))
    count = queryset.model.objects.filter(pk__in=ids).update(**changes)
    name = queryset.model._meta.verbose_name_plural
    record(user, action, f"{name} " + ", ".join(map(str, ids)), count)
    return count


def _shown(name: str, value: Any) -> str:
    if name in PRIVATE_FIELDS:
        return "(not recorded)"
    if isinstance(value, Model):
        value = f"{value.pk} ({value})"
    elif isinstance(value, QuerySet | list | tuple | set):
        value = ", ".join(str(v.pk if isinstance(v, Model) else v) for v in value)
    text = str(value)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


def describe_changes(form) -> str:
    """'field: old → new; …' for each field the form changed."""
    parts = []
    for name in form.changed_data:
        old = form.initial.get(name)
        if isinstance(old, list | tuple) and name in form.fields:
            old = ", ".join(map(str, old))
        new = form.cleaned_data.get(name)
        before, after = _shown(name, old), _shown(name, new)
        if before != after or name in PRIVATE_FIELDS:  # a list re-spelt is not a change
            parts.append(f"{name}: {before} → {after}")
    return "; ".join(parts)


def _label(obj: Model) -> str:
    name = obj._meta.verbose_name
    shown = "" if obj._meta.model_name == "comment" else f" ({obj})"
    return f"{name} {obj.pk}{shown}"


def record(user, action: str, detail: str, rows: int = 1) -> None:
    AuditEntry.objects.create(user=user, action=action[:40], detail=detail, rows=rows)


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions are written to the audit log."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and not form.changed_data:
            return
        name = obj._meta.verbose_name
        if change:
            record(request.user, f"change {name}", f"{_label(obj)}: {describe_changes(form)}")
        else:
            record(request.user, f"add {name}", f"{_label(obj)}: {describe_changes(form)}")

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(request.user, f"add {obj._meta.verbose_name}", _label(obj))
        for obj, fields in formset.changed_objects:
            record(
                request.user,
                f"change {obj._meta.verbose_name}",
                f"{_label(obj)}: {', '.join(fields)}",
            )
        for obj in formset.deleted_objects:
            record(request.user, f"delete {obj._meta.verbose_name}", _label(obj))

    def delete_model(self, request, obj) -> None:
        label = _label(obj)
        super().delete_model(request, obj)
        record(request.user, f"delete {obj._meta.verbose_name}", label)

    def delete_queryset(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        name = queryset.model._meta.verbose_name_plural
        super().delete_queryset(request, queryset)
        record(request.user, f"delete {name}", f"{name} " + ", ".join(map(str, ids)), len(ids))
