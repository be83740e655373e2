"""The ORM glue of the baselines: the hourly refit of what is normal per slot of the week.

The maths is analytics.detector.baselines (pure); this reads the bucket history in bulk, hands
it over as a dense matrix per batch of services, and writes the fitted rows back with a binary
COPY. analytics.tasks runs it in parts as a Celery group; a quarantine, a merge or an import
refits the services they touched.
"""

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from analytics.detector.baselines import BASELINE_DEFAULTS, fit_baselines, slot_of_week
from analytics.models import Incident
from analytics.timeutils import bucket_width, floor_bucket
from reports.models import Service

# Services fitted together in one numpy call. fit_baselines' temporaries grow with the batch
# (about 3 MB per service over 8 weeks); from about a hundred services up they are so large that
# the allocator maps and unmaps them afresh on every call, and the page faults cost as much as
# the fit (measured at 10,000 services: 8 s of system time at 50 a batch, 41 s at 1,000).
BASELINE_BATCH = 50
# Services per task of the hourly rebuild's Celery group (analytics.tasks.rebuild_baselines).
BASELINE_PART = 2500


def baseline_parts(size: int = BASELINE_PART) -> list[tuple[int, int]]:
    """The active services as ranges of ids (first, last), `size` services each: the parts of
    the hourly rebuild, one task each."""
    ids = list(Service.objects.active().order_by("pk").values_list("pk", flat=True))
    return [(part[0], part[-1]) for part in (ids[i : i + size] for i in range(0, len(ids), size))]


def rebuild_baselines_between(now: datetime, first: int, last: int) -> int:
    """rebuild_baselines for the active services with ids from `first` to `last`."""
    ids = list(
        Service.objects.active()
        .filter(pk__gte=first, pk__lte=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return rebuild_baselines(now, ids) if ids else 0


def _read_counts(cursor, batch: list[int], start: datetime, length: int) -> np.ndarray:
    """(len(batch), length) reports per bucket from `start`, zero where there is no row.

    PostgreSQL hands over each service's buckets as two binary arrays (starts, reports) and
    numpy unpacks them: no Python object per value. The ORM's tuples cost more than the fit at
    10,000 services × 8 weeks, a binary COPY hands psycopg one chunk per row, and packing each
    row into a bytea costs PostgreSQL more than aggregating it. The counts stay in
    ServiceBucket alone: binning, quarantines, merges and imports all write it, and a second,
    compact history table would have to follow each of them; read this way, its rows cost
    PostgreSQL one range scan of servicebucket_unique (service, start) per service.
    """
    width = bucket_width()
    cursor.execute(
        "SELECT (s.row - 1)::int4, array_send(array_agg(b.start)), "
        "array_send(array_agg(b.reports::int4)) "
        "FROM unnest(%s::bigint[]) WITH ORDINALITY AS s (id, row) "
        "JOIN analytics_servicebucket b ON b.service_id = s.id "
        "AND b.start >= %s AND b.start < %s GROUP BY s.row",
        [batch, start, start + length * width],
    )
    step = width // timedelta(microseconds=1)
    since = (start - _PG_EPOCH) // timedelta(microseconds=1)
    counts = np.zeros((len(batch), length))
    for row, starts, reports in cursor.fetchall():
        # A binary array: a 20-byte header, then each element after its 4-byte length.
        moments = np.frombuffer(starts, dtype=[("size", ">i4"), ("value", ">i8")], offset=20)
        values = np.frombuffer(reports, dtype=[("size", ">i4"), ("value", ">i4")], offset=20)
        counts[row, (moments["value"] - since) // step] = values["value"]
    return counts


def _first_buckets(cursor, services: list[int]) -> dict[int, datetime]:
    """Each service's first bucket ever (absent without any): one index probe per service."""
    cursor.execute(
        "SELECT s.id, (SELECT min(b.start) FROM analytics_servicebucket b "
        "WHERE b.service_id = s.id) FROM unnest(%s::bigint[]) AS s (id)",
        [services],
    )
    return {sid: first for sid, first in cursor.fetchall() if first is not None}


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_FLOAT8_OID = 701
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no extension
_COPY_TRAILER = b"\xff\xff"


def _float8_array(length: int) -> list:
    """The binary layout of a one-dimensional float8[] of `length` values, its size first."""
    return [
        ("size", ">i4"),
        ("header", ">i4", (5,)),  # dimensions, has nulls, element type, length, lower bound
        ("values", [("size", ">i4"), ("value", ">f8")], (length,)),
    ]


def _baseline_copy(ids: list[int], fit, now: datetime) -> bytes:
    """Binary COPY data for (service_id, expected, noise, level, history_days, updated_at).

    Built by numpy in one go: psycopg's write_row dumps each of the 2,016 floats of a row as a
    Python object, and at 10,000 services that cost more than the fit."""
    slots, windows = fit.expected.shape[1], fit.noise.shape[1]
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_size", ">i4"),
            ("id", ">i8"),
            ("expected", _float8_array(slots)),
            ("noise", _float8_array(windows)),
            ("level_size", ">i4"),
            ("level", ">f8"),
            ("days_size", ">i4"),
            ("days", ">i4"),
            ("updated_size", ">i4"),
            ("updated", ">i8"),
        ]
    )
    rows = np.zeros(len(ids), dtype=row)
    rows["fields"] = 6
    rows["id_size"], rows["id"] = 8, ids
    for name, values in (("expected", fit.expected), ("noise", fit.noise)):
        array = rows[name]
        array["size"] = 20 + 12 * values.shape[1]
        array["header"] = [1, 0, _FLOAT8_OID, values.shape[1], 1]
        array["values"]["size"] = 8
        array["values"]["value"] = np.round(values, 4)
    rows["level_size"], rows["level"] = 8, fit.level
    rows["days_size"], rows["days"] = 4, fit.history_days
    rows["updated_size"] = 8
    rows["updated"] = (now - _PG_EPOCH) // timedelta(microseconds=1)
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _write_baselines(cursor, data: bytes) -> None:
    """Upsert baselines from binary COPY data (_baseline_copy): a COPY into a temporary table
    and one INSERT … ON CONFLICT."""
    columns = "service_id, expected, noise, level, history_days, updated_at"
    cursor.execute(
        "CREATE TEMPORARY TABLE baseline_update ON COMMIT DROP AS "
        f"SELECT {columns} FROM analytics_baseline WITH NO DATA"
    )
    with cursor.copy(f"COPY baseline_update ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(data)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns.split(", ")[1:])
    cursor.execute(
        f"INSERT INTO analytics_baseline ({columns}) SELECT {columns} FROM baseline_update "
        f"ON CONFLICT (service_id) DO UPDATE SET {assignments}"
    )
    cursor.execute("DROP TABLE baseline_update")


def rebuild_baselines(now: datetime, services: list[int] | None = None) -> int:
    """Refit every active service's weekly baseline from the last weeks of buckets.

    History is what came before the current bucket; buckets inside incidents are left out, and
    buckets before a service's first report count as missing, not as zeros. Returns the number of
    services rebuilt. The hourly task runs it in parts, in parallel (analytics.tasks).
    """
    width = bucket_width()
    per_day = int(timedelta(days=1) / width)
    end = floor_bucket(now, width)
    weeks = int(settings.TREMOR["BASELINE_WEEKS"])
    start = end - timedelta(weeks=weeks)
    length = int((end - start) / width)
    first_slot = slot_of_week(start, width)
    baseline_settings = dataclasses.replace(BASELINE_DEFAULTS, weeks=weeks)
    service_ids = services or list(
        Service.objects.active().order_by("pk").values_list("pk", flat=True)
    )
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own, for COPY
        first_seen = _first_buckets(cursor, service_ids)
        incidents: dict[int, list] = {}
        for sid, began, ended in (
            Incident.objects.filter(service_id__in=service_ids)
            .overlapping(start, end)
            .values_list("service_id", "started_at", "ended_at")
        ):
            incidents.setdefault(sid, []).append((began, ended))
        for batch_start in range(0, len(service_ids), BASELINE_BATCH):
            batch = service_ids[batch_start : batch_start + BASELINE_BATCH]
            counts = _read_counts(cursor, batch, start, length)
            excluded = np.zeros(counts.shape, dtype=bool)
            for row, sid in enumerate(batch):
                first = first_seen.get(sid)
                missing = length if first is None else int(max(0, (first - start) // width))
                counts[row, : min(missing, length)] = np.nan
                for began, ended in incidents.get(sid, []):
                    limit = began + baseline_settings.max_excluded  # BaselineSettings.max_excluded
                    a = max(0, int((began - start) // width))
                    b = min(length, int((min(ended or end, limit) - start) // width))
                    excluded[row, a:b] = True
            fit = fit_baselines(counts, first_slot, per_day, excluded, baseline_settings)
            with transaction.atomic():
                _write_baselines(cursor, _baseline_copy(batch, fit, now))
    return len(service_ids)
