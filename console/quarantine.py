"""Setting reports aside as abuse, and giving them back, with an audit trail.

Both steps change only which reports count; analytics then recounts the affected window, refits
the service's baseline and withdraws (or restores) the incidents those reports opened
(`analytics.reassess.recount_after_quarantine`), in a Celery task queued on commit
(`console.tasks.recount_after_quarantine`) or at once with `recount=True`.
"""

from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from analytics import reassess
from analytics.models import Incident
from console.tasks import recount_after_quarantine
from reports.models import AuditEntry, Comment, Quarantine, Report


def _matching(quarantine: Quarantine) -> QuerySet[Report]:
    reports = Report.objects.counted().filter(
        service=quarantine.service,
        created_at__gte=quarantine.start,
        created_at__lt=quarantine.end,
        is_simulated=False,
    )
    for field in ("reporter_key", "network_key", "ua_family"):
        if value := getattr(quarantine, field):
            reports = reports.filter(**{field: value})
    return reports


def apply_quarantine(quarantine: Quarantine, user: User | None, *, recount: bool = False) -> int:
    """Save the quarantine and stop its matching counted reports from counting."""
    with transaction.atomic():
        quarantine.created_by = user
        quarantine.save()
        count = _matching(quarantine).update(
            is_counted=False,
            not_counted_reason=Report.NotCountedReason.ABUSE,
            quarantine=quarantine,
        )
        quarantine.reports_count = count
        quarantine.save(update_fields=["reports_count"])
        comments = _set_comments_aside(quarantine)
        AuditEntry.objects.create(
            user=user,
            action="quarantine",
            detail=f"quarantine {quarantine.pk} of {quarantine.service} "
            f"{quarantine.start:%Y-%m-%d %H:%M}–{quarantine.end:%Y-%m-%d %H:%M} UTC: "
            f"{quarantine.reason}; {comments} comments "
            f"{'hidden' if quarantine.comments == Quarantine.Comments.HIDE else 'held'}",
            rows=count,
        )
    _after(quarantine, recount, releasing=False)
    return count


def _set_comments_aside(quarantine: Quarantine) -> int:
    """Hide or hold the shown or waiting comments of the quarantine's reports; returns how many.
    Comments are matched by their report's (created_at, id): reports are partitioned by day."""
    status = (
        Comment.Status.HIDDEN
        if quarantine.comments == Quarantine.Comments.HIDE
        else Comment.Status.PENDING
    )
    reports = Report.objects.filter(
        quarantine=quarantine, created_at__gte=quarantine.start, created_at__lt=quarantine.end
    )
    return Comment.objects.filter(
        service=quarantine.service,
        created_at__gte=quarantine.start,
        created_at__lt=quarantine.end,
        report_id__in=reports.values("id"),
        status__in=[Comment.Status.VISIBLE, Comment.Status.PENDING],
    ).update(status=status, held_because=f"its report was set aside by quarantine {quarantine.pk}")


def release_quarantine(quarantine: Quarantine, user: User | None, *, recount: bool = False) -> int:
    """Count the quarantine's reports again, exactly those, and mark it released."""
    if quarantine.released_at is not None:
        return 0
    with transaction.atomic():
        count = Report.objects.filter(quarantine=quarantine).update(
            is_counted=True, not_counted_reason="", quarantine=None
        )
        quarantine.released_at = timezone.now()
        quarantine.released_by = user
        quarantine.save(update_fields=["released_at", "released_by"])
        AuditEntry.objects.create(
            user=user,
            action="release",
            detail=f"released quarantine {quarantine.pk} of {quarantine.service}",
            rows=count,
        )
    _after(quarantine, recount, releasing=True)
    return count


def _after(quarantine: Quarantine, recount: bool, releasing: bool) -> None:
    if recount:
        reassess.recount_after_quarantine(quarantine, releasing=releasing)
        return
    transaction.on_commit(lambda: recount_after_quarantine.delay(quarantine.pk, releasing))


# A quarantine may span at most this long (Quarantine.clean).
LONGEST = timedelta(days=7)


def suggested_for_incident(incident: Incident, now: datetime) -> dict[str, str]:
    """The quarantine form filled in for the reports behind an incident: its service, its window
    (from reports beginning to rise until it ended, or until now, at most LONGEST), and the
    network that sent them when one network sent the share that holds an incident."""
    start = incident.started_at
    end = min(incident.ended_at or now + timedelta(minutes=1), start + LONGEST)
    initial = {"service": str(incident.service_id), "start": start.isoformat()}
    initial["end"] = end.isoformat()
    reports = (
        Report.objects.counted()
        .filter(service_id=incident.service_id, is_simulated=False)
        .in_window(start, end)
    )
    total = reports.count()
    top = (
        reports.exclude(network_key="")
        .values("network_key")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    share = cast(dict[str, float], settings.TREMOR["CONCENTRATION"])["network_share"]
    if top is not None and top["n"] >= share * total:
        initial["network_key"] = top["network_key"]
        initial["reason"] = (
            f"{top['n']} of the {total} reports behind incident {incident.pk} came from one network"
        )
    else:
        initial["reason"] = f"the reports behind incident {incident.pk}"
    return initial
