"""Setting reports aside as abuse, and giving them back, with an audit trail.

Both steps change only which reports count; the buckets of the affected window are then
recounted from the reports (analytics.binning) and the service's baseline refitted, by a Celery
task (`reports.tasks.recount_after_quarantine`) or directly with `recount=True`.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from reports.models import AuditEntry, Quarantine, Report


def _matching(quarantine: Quarantine):
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


def apply_quarantine(quarantine: Quarantine, user, *, recount: bool = False) -> int:
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
        AuditEntry.objects.create(
            user=user,
            action="quarantine",
            detail=f"quarantine {quarantine.pk} of {quarantine.service} "
            f"{quarantine.start:%Y-%m-%d %H:%M}–{quarantine.end:%Y-%m-%d %H:%M} UTC: "
            f"{quarantine.reason}",
            rows=count,
        )
    _after(quarantine, recount, releasing=False)
    return count


def release_quarantine(quarantine: Quarantine, user, *, recount: bool = False) -> int:
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
        recount_window(quarantine, releasing)
        return
    from reports.tasks import recount_after_quarantine

    transaction.on_commit(lambda: recount_after_quarantine.delay(quarantine.pk, releasing))


def recount_window(quarantine: Quarantine, releasing: bool) -> None:
    """Recount the window's buckets from the reports that count now, refit the baseline, then
    hold the incidents the detector would no longer open (or, on release, give them back)."""
    from analytics import pipeline
    from analytics.binning import refresh_buckets
    from analytics.reassess import restore_withdrawn, withdraw_unsupported

    refresh_buckets(quarantine.start, quarantine.end)
    pipeline.rebuild_baselines(timezone.now(), services=[quarantine.service_id])
    if releasing:
        restore_withdrawn(quarantine)
    else:
        withdraw_unsupported(quarantine.service_id, quarantine.start, quarantine.end, quarantine)


def removed_as_abuse(service_id: int, start: datetime, end: datetime) -> int:
    """How many of a service's reports in [start, end) are quarantined (the public note)."""
    return Report.objects.filter(
        service_id=service_id,
        created_at__gte=start,
        created_at__lt=end,
        not_counted_reason=Report.NotCountedReason.ABUSE,
    ).count()
