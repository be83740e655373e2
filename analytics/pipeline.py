"""The per-minute pass: recount the recent buckets, then detect: load, judge, advance, hold,
decide the public level, persist.

Each function takes `now` explicitly (the tasks and commands pass the clock) and is safe to re-run.
The maths lives in the pure package analytics.detector, the rules for incident rows after it in
analytics.incidents, the hourly baseline refit in analytics.baselines; this module loads the
inputs in bulk, runs the replay loop and writes what came out.
"""

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q

from analytics import page_cache
from analytics.binning import REFRESH_LOCK_ID, RefreshResult, refresh_buckets
from analytics.detector import Event, IncidentState, Level, Status, Tracker
from analytics.detector.baselines import slot_of_week
from analytics.detector.evidence import Verdicts, judge
from analytics.detector.replay import judgements_from_verdicts, replay
from analytics.detector.settings import DEFAULTS, DetectorSettings
from analytics.detector.windows import LONGEST, NOISE_PRIOR, WINDOWS
from analytics.incidents import (
    hold_for_review,
    hold_senders_comments,
    level_since,
    link_group_incidents,
    public_level,
    update_countries,
    withdrawn_services,
)
from analytics.models import DetectorTuning, Incident, ServiceBucket, ServiceStatus
from analytics.timeutils import bucket_width, floor_bucket
from config import metrics
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
    """The per-minute job: recount the recent buckets, then run the detector up to `now`.

    The recount reaches back REFRESH_LOOKBACK_MINUTES, and further when the detector has
    buckets left to judge (the worker was down, or this is the first pass): it must not judge
    buckets never counted."""
    started = time.perf_counter()
    width = bucket_width()
    since = now - timedelta(minutes=int(settings.TREMOR["REFRESH_LOOKBACK_MINUTES"]))
    pending = ServiceStatus.objects.filter(service__is_active=True).aggregate(
        oldest=Min("evaluated_until")
    )["oldest"]
    # However long the pause, every report since is binned (the detector itself replays at most
    # MAX_REPLAY_BUCKETS of it); a first pass counts what the detector may replay.
    since = min(since, pending or floor_bucket(now, width) - MAX_REPLAY_BUCKETS * width)
    with transaction.atomic():
        refreshed = refresh_buckets(since, now)
        detected = detect_incidents(now)
    # Committed: pages and answers cached from now on are keyed by this run.
    page_cache.note_demo_data(
        ServiceBucket.objects.filter(start__gte=now - timedelta(hours=24), simulated__gt=0).exists()
    )
    page_cache.note_analytics_run(now)
    metrics.note_analytics_pass(now.timestamp(), time.perf_counter() - started)
    return refreshed, detected


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_ID])


# The incident columns that mirror the detector's state, field for field.
STATE_FIELDS = [f.name for f in dataclasses.fields(IncidentState)]


def _to_state(incident: Incident | None) -> IncidentState | None:
    if incident is None:
        return None
    state = {name: getattr(incident, name) for name in STATE_FIELDS}
    return IncidentState(**{**state, "status": Status(state["status"])})


def _save_state(service_id: int, incident: Incident | None, state: IncidentState) -> Incident:
    """Write the state to its row; a state with another start than the row is a new incident."""
    if incident is None or incident.started_at != state.started_at:
        incident = Incident(service_id=service_id)
    for name in STATE_FIELDS:
        setattr(incident, name, getattr(state, name))
    incident.save()
    return incident


def _recent_counts(services: np.ndarray, start: datetime, columns: int) -> np.ndarray:
    """(len(services), columns) reports per bucket from `start`, zero where there is no row.

    Packed by PostgreSQL into one bytea of int32 triples (service, bucket offset, reports):
    every bucket of every service without a Python object per row. `services` is sorted."""
    width = bucket_width()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(int4send(service_id::int4) "
            "|| int4send((extract(epoch FROM start - %(start)s)::bigint / %(width)s)::int4) "
            "|| int4send(reports::int4), ''::bytea) "
            "FROM analytics_servicebucket WHERE start >= %(start)s AND start < %(end)s",
            {"start": start, "end": start + columns * width, "width": int(width.total_seconds())},
        )
        data = cursor.fetchone()[0] or b""
    triples = np.frombuffer(data, dtype=">i4").reshape(-1, 3).astype(np.int64)
    rows = np.searchsorted(services, triples[:, 0])
    known = (rows < len(services)) & (
        services[np.minimum(rows, len(services) - 1)] == triples[:, 0]
    )
    counts = np.zeros((len(services), columns))
    counts[rows[known], triples[known, 1]] = triples[known, 2]
    return counts


def _recent_baselines(services: np.ndarray, start: datetime, columns: int):
    """(expected (S, columns) for the slots from `start` on, noise (S, len(WINDOWS))), packed
    by PostgreSQL into one bytea: the slots needed (an array slice, across the week's end if
    need be) and the noise of each baseline. Without a baseline: zeros and the prior noise."""
    width = bucket_width()
    per_week = int(timedelta(weeks=1) / width)
    first = slot_of_week(start, width) + 1  # SQL arrays count from 1
    last = first + columns - 1
    if last <= per_week:
        wanted = f"expected[{first}:{last}]"
    else:
        wanted = f"expected[{first}:{per_week}] || expected[1:{last - per_week}]"
    record = np.dtype(
        [
            ("service", ">i8"),
            ("expected_header", ">i4", (5,)),
            ("expected", [("size", ">i4"), ("value", ">f8")], (columns,)),
            ("noise_header", ">i4", (5,)),
            ("noise", [("size", ">i4"), ("value", ">f8")], (len(WINDOWS),)),
        ]
    )

    def read(where: str) -> bytes:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT string_agg(int8send(service_id) || array_send({wanted}) || array_send("
                "CASE WHEN cardinality(noise) = %(windows)s THEN noise ELSE %(prior)s END), "
                f"''::bytea) FROM analytics_baseline {where}",
                {"windows": len(WINDOWS), "prior": list(NOISE_PRIOR), "per_week": per_week},
            )
            return cursor.fetchone()[0] or b""

    # Every baseline has a slot per bucket of the week, unless the bucket width has changed
    # since the last rebuild; checking each row's length in SQL costs a second read of every
    # array, so it is only done when the packed records do not line up.
    data = read("")
    records = np.frombuffer(data, dtype=record, count=len(data) // record.itemsize)
    if len(data) % record.itemsize or (records["expected_header"][:, 3] != columns).any():
        data = read("WHERE cardinality(expected) = %(per_week)s")
        records = np.frombuffer(data, dtype=record)
    rows = np.searchsorted(services, records["service"])
    known = (rows < len(services)) & (
        services[np.minimum(rows, len(services) - 1)] == records["service"]
    )
    expected = np.zeros((len(services), columns))
    noise = np.tile(np.array(NOISE_PRIOR, dtype=float), (len(services), 1))
    expected[rows[known]] = records["expected"]["value"][known]
    noise[rows[known]] = records["noise"]["value"][known]
    return expected, noise


@dataclass
class _Status:
    """A ServiceStatus row as the pass writes it: plain values, no model instance (10,000 of
    those cost a tenth of the pass's budget)."""

    service_id: int
    level: int
    quiet_level: int
    since: datetime | None
    observed: int
    expected: float
    probability: float
    evaluated_until: datetime
    updated_at: datetime


@dataclass
class _Pass:
    """What one detection pass reads, for all active services at once.

    Row r of each matrix is service `services[r]`. The judged buckets are the closed buckets
    not judged yet (after a pause, at most MAX_REPLAY_BUCKETS), then the filling one; a service
    contributes its `per_service[r]` windows, flattened into `observed`, `expected`, `noise`
    and `closed` and ending at `ends[r]`."""

    now: datetime
    current: datetime  # the filling bucket's start
    services: np.ndarray
    row_of: dict[int, int]  # service id → its row
    tunings: dict[int, DetectorSettings]
    previous: dict[int, tuple[int, datetime | None, datetime | None]]  # level, since, until
    incidents: dict[int, Incident]  # unresolved, or ended within the cool-down
    judged: int  # buckets judged for the slowest service
    counts: np.ndarray  # (S, columns) reports per bucket
    whole: np.ndarray  # (S, columns) expected per whole bucket
    per_service: np.ndarray
    ends: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    noise: np.ndarray
    closed: np.ndarray

    def rows(self, row: int) -> slice:
        return slice(self.ends[row] - self.per_service[row], self.ends[row])


def detect_incidents(now: datetime) -> DetectionResult:
    """Judge every active service's new closed buckets and its filling bucket.

    Updates ServiceStatus and opens, advances, re-opens or resolves incidents. Holds the refresh
    lock, so two overlapping runs never feed the same bucket twice. In order: load the windows,
    judge them, advance the incidents through the state machine, apply the holds, decide each
    service's public level once, persist.

    Each window is read from the counts and baselines themselves (a recount or a quarantine
    reaches the next decision), for all services at once: one dense (services × buckets)
    matrix, every window judged in one vectorised call. Only services with an incident or a
    window that passes the opening bar go through the state machine; for the others nothing can
    happen but a new level, and that is computed for all of them together.
    """
    with transaction.atomic():
        _lock()
        run = _load(now)
        if run is None:
            return DetectionResult(services=0, opened=0, resolved=0)
        verdicts = _judge(run)
        states, opened, resolved = _advance(run, verdicts)
        held = hold_for_review(now)
        hold_senders_comments(now)
        withdrawn = withdrawn_services()
        _write_statuses(_decide_statuses(run, verdicts, states, held, withdrawn))
        update_countries(now)
        link_group_incidents(now)
    if opened or resolved:
        logger.info("detection at %s: %d incidents opened, %d resolved", now, opened, resolved)
    return DetectionResult(services=len(run.services), opened=opened, resolved=resolved)


def _load(now: datetime) -> _Pass | None:
    """Read the counts, baselines, statuses, tunings and live incidents the pass judges."""
    width = bucket_width()
    current = floor_bucket(now, width)
    partial = min(max((now - current) / width, DEFAULTS.min_partial_fraction), 1.0)
    services = np.array(
        Service.objects.active().order_by("pk").values_list("pk", flat=True), dtype=np.int64
    )
    if not len(services):
        return None
    row_of = {int(sid): row for row, sid in enumerate(services)}
    tunings = {
        t.service_id: t.settings_or_defaults()
        for t in DetectorTuning.objects.all()
        if t.service_id in row_of
    }
    previous = {
        sid: (level, since, until)
        for sid, level, since, until in ServiceStatus.objects.values_list(
            "service_id", "level", "since", "evaluated_until"
        )
        if sid in row_of
    }
    # Column j of the matrix is bucket `first + j`; judged buckets need the LONGEST - 1 before
    # them for their windows.
    earliest = current - MAX_REPLAY_BUCKETS * width

    def resume_at(sid: int) -> int:
        """How many buckets after `earliest` the service's first bucket to judge begins."""
        until = previous[sid][2] if sid in previous else None
        start = min(max(until or current - width, earliest), current)
        return int((start - earliest) / width)

    resume = np.array([resume_at(sid) for sid in services.tolist()])
    judged = MAX_REPLAY_BUCKETS + 1 - resume.min()
    first = current - (judged - 1 + LONGEST - 1) * width
    columns = judged + LONGEST - 1
    counts = _recent_counts(services, first, columns)
    whole, noise = _recent_baselines(services, first, columns)

    # Windows ending at each judged bucket: (S, judged, LONGEST), the filling bucket's scaled
    # expectation only in the window that ends at it.
    observed_windows = np.lib.stride_tricks.sliding_window_view(counts, LONGEST, axis=1)
    expected_windows = np.lib.stride_tricks.sliding_window_view(whole, LONGEST, axis=1).copy()
    expected_windows[:, -1, -1] *= partial  # against the elapsed part of the bucket
    offsets = resume - resume.min()
    take = np.arange(judged)[None, :] >= offsets[:, None]  # (S, judged)
    closed_grid = np.broadcast_to(np.arange(judged) < judged - 1, take.shape)
    per_service = take.sum(axis=1)

    cooldown = width * max(s.cooldown_buckets for s in [DEFAULTS, *tunings.values()])
    incidents: dict[int, Incident] = {}
    for incident in Incident.objects.filter(
        ~Q(status="resolved") | Q(ended_at__gte=current - (judged - 1) * width - cooldown)
    ).order_by("started_at"):
        if incident.service_id in row_of:
            incidents[incident.service_id] = incident
    return _Pass(
        now=now,
        current=current,
        services=services,
        row_of=row_of,
        tunings=tunings,
        previous=previous,
        incidents=incidents,
        judged=int(judged),
        counts=counts,
        whole=whole,
        per_service=per_service,
        ends=np.cumsum(per_service),
        observed=observed_windows[take],
        expected=expected_windows[take],
        noise=np.repeat(noise, per_service, axis=0),
        closed=closed_grid[take],
    )


def _judge(run: _Pass) -> Verdicts:
    """Every window's verdict in one vectorised call; tuned services again with their own
    settings (few: one call each)."""
    verdicts = judge(run.observed, run.expected, run.noise, run.closed)
    for sid, tuned in run.tunings.items():
        rows = run.rows(run.row_of[sid])
        own = judge(
            run.observed[rows], run.expected[rows], run.noise[rows], run.closed[rows], tuned
        )
        for name in verdicts.__dataclass_fields__:
            getattr(verdicts, name)[rows] = getattr(own, name)
    return verdicts


def _advance(run: _Pass, verdicts: Verdicts) -> tuple[dict[int, IncidentState | None], int, int]:
    """Replay the judged buckets through the state machine for each service with an incident
    or a window over the opening bar, saving every state it passes through. Returns each
    replayed service's incident state after the pass, and how many opened and resolved."""
    width = bucket_width()
    judged = run.judged
    opening = np.zeros(len(run.services), dtype=bool)
    np.logical_or.at(
        opening, np.repeat(np.arange(len(run.services)), run.per_service), verdicts.window > 0
    )
    bucket_starts = [run.current - (judged - 1 - j) * width for j in range(judged)]
    states: dict[int, IncidentState | None] = {}
    opened = resolved = 0
    for row, sid in enumerate(run.services.tolist()):
        if sid not in run.incidents and not opening[row]:
            continue
        rows = run.rows(row)
        js = range(judged - run.per_service[row], judged)
        service_settings = run.tunings.get(sid, DEFAULTS)
        judgements = judgements_from_verdicts(
            [bucket_starts[j] for j in js],
            run.observed[rows],
            run.expected[rows],
            _rows(verdicts, rows),
            run.closed[rows],
            [bucket_starts[j] + width if j < judged - 1 else run.now for j in js],
            service_settings.still_ratio,
            whole=run.whole[row, LONGEST - 1 :][list(js)].tolist(),
        )
        incident = run.incidents.get(sid)
        tracker, steps = replay(Tracker(_to_state(incident)), judgements, width, service_settings)
        for _, step in steps:
            opened += Event.OPENED in step.events
            resolved += Event.RESOLVED in step.events
            if step.tracker.incident is not None:  # None: the cool-down has passed
                incident = _save_state(sid, incident, step.tracker.incident)
        states[sid] = tracker.incident
    return states, opened, resolved


def _decide_statuses(
    run: _Pass,
    verdicts: Verdicts,
    states: dict[int, IncidentState | None],
    held: set[int],
    withdrawn: set[int],
) -> list[_Status]:
    """Each service's status row: its public level (analytics.incidents.public_level, after the
    holds; a withdrawn incident counts for nothing) and when that level began."""
    last = run.ends - 1
    before = np.where(run.per_service > 1, run.ends - 2, last)
    # Without an incident: the higher level of the last two judged buckets, amber at most.
    quiet = np.minimum(
        np.maximum(verdicts.level[last], verdicts.level[before]), int(Level.POSSIBLE)
    )
    statuses = []
    for row, sid in enumerate(run.services.tolist()):
        state = None if sid in withdrawn else states.get(sid)
        level = public_level(int(quiet[row]), state, held=sid in held)
        previous = run.previous.get(sid)
        statuses.append(
            _Status(
                service_id=sid,
                level=level,
                quiet_level=int(quiet[row]),
                since=level_since(level, state, previous[:2] if previous else None, run.now),
                observed=int(run.counts[row, -1]),
                expected=float(run.whole[row, -1]),
                probability=float(verdicts.probability[last[row]]),
                evaluated_until=run.current,
                updated_at=run.now,
            )
        )
    return statuses


def _rows(verdicts, rows: slice):
    """The verdicts of some rows only."""
    return dataclasses.replace(
        verdicts, **{name: getattr(verdicts, name)[rows] for name in verdicts.__dataclass_fields__}
    )


STATUS_COLUMNS = [f.name for f in dataclasses.fields(_Status)][1:]


def _write_statuses(statuses: list[_Status]) -> None:
    """Upsert many statuses in two statements: COPY into a temporary table, one INSERT … ON
    CONFLICT (bulk_update's CASE WHEN per row costs seconds at 10,000 services)."""
    if not statuses:
        return
    columns = ", ".join(["service_id", *STATUS_COLUMNS])
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE status_update ON COMMIT DROP AS "
            f"SELECT {columns} FROM analytics_servicestatus WITH NO DATA"
        )
        values = attrgetter("service_id", *STATUS_COLUMNS)  # astuple would deep-copy each row
        with cursor.cursor.copy(f"COPY status_update ({columns}) FROM STDIN") as copy:
            for status in statuses:
                copy.write_row(values(status))
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in STATUS_COLUMNS)
        cursor.execute(
            f"INSERT INTO analytics_servicestatus ({columns}) SELECT {columns} FROM status_update "
            f"ON CONFLICT (service_id) DO UPDATE SET {assignments}"
        )
        cursor.execute("DROP TABLE status_update")
