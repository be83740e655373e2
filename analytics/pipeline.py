"""The ORM glue of the pipeline: binning → baselines → detection → status and incidents.

Each function takes `now` explicitly (the tasks and commands pass the clock) and is safe to re-run.
"""

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min

from analytics import detection
from analytics.baselines import time_of_day_baseline
from analytics.binning import REFRESH_LOCK_ID, RefreshResult, refresh_buckets
from analytics.models import Baseline, Incident, ServiceBucket, ServiceStatus
from analytics.timeutils import bucket_width, floor_bucket, slot_of_day
from reports.models import Service

logger = logging.getLogger(__name__)

# After a pause (the worker was down), replay at most this many closed buckets per service.
MAX_REPLAY_BUCKETS = 24


@dataclass(frozen=True)
class DetectionResult:
    services: int
    opened: int
    resolved: int


def refresh_analytics(now: datetime) -> tuple[RefreshResult, DetectionResult]:
    """The per-minute job: recount the recent buckets, then run the detector up to `now`."""
    lookback = timedelta(minutes=settings.TREMOR["REFRESH_LOOKBACK_MINUTES"])
    with transaction.atomic():
        refreshed = refresh_buckets(now - lookback, now)
        detected = detect_incidents(now)
    return refreshed, detected


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_ID])


def rebuild_baselines(now: datetime, services: list[int] | None = None) -> int:
    """Recompute every active service's time-of-day baseline from the last full days of buckets.

    Buckets inside incidents are left out. Returns the number of services rebuilt.
    """
    width = bucket_width()
    per_day = int(timedelta(days=1) / width)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    window_start = today - timedelta(days=settings.TREMOR["BASELINE_DAYS"])
    service_ids = services or list(Service.objects.active().values_list("pk", flat=True))
    rows = pd.DataFrame.from_records(
        ServiceBucket.objects.filter(service_id__in=service_ids)
        .in_window(window_start, today)
        .values_list("service_id", "start", "reports"),
        columns=["service_id", "start", "reports"],
    )
    first_seen = dict(
        ServiceBucket.objects.filter(service_id__in=service_ids)
        .values("service_id")
        .annotate(first=Min("start"))
        .values_list("service_id", "first")
    )
    incidents = list(
        Incident.objects.filter(service_id__in=service_ids)
        .overlapping(window_start, today)
        .values_list("service_id", "started_at", "ended_at")
    )
    grouped = dict(tuple(rows.groupby("service_id"))) if len(rows) else {}
    baselines = []
    for service_id in service_ids:
        first = first_seen.get(service_id)
        if first is None or first >= today:
            expected = np.zeros(per_day)
        else:
            start = max(window_start, first.astimezone(UTC).replace(hour=0, minute=0, second=0))
            index = pd.date_range(start, today, freq=width, inclusive="left")
            counts = pd.Series(0, index=index, dtype=float)
            frame = grouped.get(service_id)
            if frame is not None:
                observed = frame.set_index("start")["reports"]
                observed = observed[observed.index >= start]
                counts.loc[observed.index] = observed.to_numpy(dtype=float)
            excluded = pd.Series(False, index=index)
            for sid, started, ended in incidents:
                if sid == service_id:
                    excluded[(index >= started) & (index < (ended or today))] = True
            expected = time_of_day_baseline(counts, width=width, excluded=excluded)
        baselines.extend(
            Baseline(service_id=service_id, slot=slot, expected=float(value), updated_at=now)
            for slot, value in enumerate(expected)
        )
    with transaction.atomic():
        Baseline.objects.bulk_create(
            baselines,
            update_conflicts=True,
            unique_fields=["service", "slot"],
            update_fields=["expected", "updated_at"],
            batch_size=5000,
        )
    return len(service_ids)


# The incident columns that mirror the detector's state, field for field.
STATE_FIELDS = [f.name for f in dataclasses.fields(detection.IncidentState)]


def _to_state(incident: Incident | None) -> detection.IncidentState | None:
    if incident is None:
        return None
    return detection.IncidentState(**{name: getattr(incident, name) for name in STATE_FIELDS})


def _save_state(
    service_id: int, incident: Incident | None, state: detection.IncidentState
) -> Incident:
    incident = incident or Incident(service_id=service_id)
    for name in STATE_FIELDS:
        setattr(incident, name, getattr(state, name))
    incident.save()
    return incident


def detect_incidents(now: datetime) -> DetectionResult:
    """Feed every active service's new closed buckets and its filling bucket to the detector.

    Updates ServiceStatus and opens, advances or resolves incidents. Holds the refresh lock, so two
    overlapping runs never feed the same bucket twice.
    """
    width = bucket_width()
    current = floor_bucket(now, width)
    opened = resolved = 0
    with transaction.atomic():
        _lock()
        services = list(Service.objects.active().values_list("pk", flat=True))
        statuses = {s.service_id: s for s in ServiceStatus.objects.filter(service_id__in=services)}
        earliest = current - MAX_REPLAY_BUCKETS * width
        starts = {
            sid: max(
                (statuses[sid].evaluated_until if sid in statuses else None) or current - width,
                earliest,
            )
            for sid in services
        }
        window_start = min(starts.values(), default=current)
        counts = {
            (sid, start): reports
            for sid, start, reports in ServiceBucket.objects.filter(service_id__in=services)
            .in_window(window_start, current + width)
            .values_list("service_id", "start", "reports")
        }
        slots = {
            slot_of_day(window_start + i * width, width) for i in range(MAX_REPLAY_BUCKETS + 1)
        }
        expected_by = {
            (sid, slot): value
            for sid, slot, value in Baseline.objects.filter(
                service_id__in=services, slot__in=slots
            ).values_list("service_id", "slot", "expected")
        }
        incidents = {
            i.service_id: i for i in Incident.objects.unresolved().filter(service_id__in=services)
        }

        def evidence(sid: int, start: datetime, closed: bool) -> detection.Evidence:
            return detection.Evidence(
                start=start,
                observed=counts.get((sid, start), 0),
                expected=expected_by.get((sid, slot_of_day(start, width)), 0.0),
                closed=closed,
            )

        new_statuses, changed_statuses = [], []
        for sid in services:
            incident = incidents.get(sid)
            state = _to_state(incident)
            bucket = starts[sid]
            levels = []
            while bucket <= current:
                ev = evidence(sid, bucket, closed=bucket < current)
                levels.append(detection.classify(ev.observed, ev.expected))
                before = state
                state = detection.advance(state, ev, width)
                if state is not None and before is None:
                    opened += 1
                if state is not None and state.status == "resolved":
                    _save_state(sid, incident, state)
                    resolved += 1
                    incident, state = None, None
                bucket += width
            if state is not None:
                incident = _save_state(sid, incident, state)
            # The public level: an open incident is "problems"; otherwise the worse of the last
            # closed bucket and the filling one, at most "possible problems".
            if state is not None and state.status == "open":
                level = detection.Level.PROBLEMS
            elif state is not None:
                level = detection.Level.POSSIBLE
            else:
                level = min(max(levels[-2:], default=0), detection.Level.POSSIBLE)
            current_ev = evidence(sid, current, closed=False)
            status = statuses.get(sid) or ServiceStatus(service_id=sid)
            if status.since is None or status.level != level:
                status.since = state.started_at if level == detection.Level.PROBLEMS else now
            status.level = int(level)
            status.observed = current_ev.observed
            status.expected = current_ev.expected
            status.evaluated_until = current
            status.updated_at = now
            (changed_statuses if sid in statuses else new_statuses).append(status)
        ServiceStatus.objects.bulk_create(new_statuses)
        ServiceStatus.objects.bulk_update(
            changed_statuses,
            ["level", "since", "observed", "expected", "evaluated_until", "updated_at"],
            batch_size=1000,
        )
    if opened or resolved:
        logger.info("detection at %s: %d incidents opened, %d resolved", now, opened, resolved)
    return DetectionResult(services=len(services), opened=opened, resolved=resolved)
