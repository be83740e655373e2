"""Counting counted reports into buckets, in SQL, idempotently.

`refresh_buckets(since, until)` recounts every bucket overlapping [since, until) from the raw
reports and upserts the result; buckets in that window that no longer have reports are removed.
A re-run, an overlapping tick or a back-fill therefore gives the same rows.

Two kinds of buckets have no raw reports behind them and are never recounted, whoever asks (the
per-minute job, a quarantine or its release, a merge, `refresh_analytics --since`): those before
the retention prune's mark (reports.models.PruneMark), and the spans `import_history` wrote
(ImportedHistory). Recounting them would find nothing and erase the history.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from analytics.models import ImportedHistory
from analytics.timeutils import EPOCH, bucket_width, ceil_bucket, floor_bucket
from reports.models import PruneMark

# One lock for the refresh job: concurrent runs queue up instead of racing on the same rows.
REFRESH_LOCK_ID = 7_318_001

# (bucket table, the report column it splits by besides service and time)
_TABLES = [
    ("analytics_servicebucket", None),
    ("analytics_problembucket", "problem_id"),
    ("analytics_countrybucket", "country"),
]


@dataclass(frozen=True)
class RefreshResult:
    since: datetime
    until: datetime
    buckets: int


def _recount_sql(table: str, extra: str | None, *, guarded: bool, some: bool) -> str:
    """One statement per table: count the window's reports once (`fresh`), delete the window's
    buckets that are not among them any more, upsert the others.

    The delete used to ask the reports table, bucket by bucket, whether any counted report was
    left; PostgreSQL answered with a hash of every counted report (1.8 million rows for a day of
    them at 10,000 services: a second per table, and growing with the retention). Against
    `fresh` it costs nothing. Both parts see the snapshot the statement started with, and touch
    disjoint rows (deleted ones are not in `fresh`, upserted ones are). Buckets whose counts
    did not change are left alone: most of the window is already counted, and rewriting every
    row each minute only made dead tuples.
    """
    key_cols = "service_id, start" + (f", {extra}" if extra else "")
    select_extra = f", {extra}" if extra else ""
    match_extra = f" AND f.{extra} = b.{extra}" if extra else ""
    simulated_col = ", simulated" if table == "analytics_servicebucket" else ""
    simulated_val = (
        ", COUNT(DISTINCT reporter_key) FILTER (WHERE is_simulated)"
        if table == "analytics_servicebucket"
        else ""
    )
    simulated_set = ", simulated = EXCLUDED.simulated" if simulated_col else ""
    changed = f"{table}.reports <> EXCLUDED.reports" + (
        f" OR {table}.simulated <> EXCLUDED.simulated" if simulated_col else ""
    )
    # Only when the window meets imported spans (rarely: the per-minute window never does) is
    # each row checked against them; the spans travel as arrays, aligned to bucket edges.
    spans = (
        "SELECT 1 FROM unnest(%(span_services)s::int[], %(span_starts)s::timestamptz[],"
        " %(span_ends)s::timestamptz[]) AS s(service_id, start, stop) WHERE s.service_id = {alias}"
        ".service_id AND {moment} >= s.start AND {moment} < s.stop"
    )
    report_guard = (
        " AND NOT EXISTS (" + spans.format(alias="reports_report", moment="created_at") + ")"
        if guarded
        else ""
    )
    bucket_guard = (
        " AND NOT EXISTS (" + spans.format(alias="b", moment="b.start") + ")" if guarded else ""
    )
    only = " AND service_id = ANY(%(services)s)" if some else ""
    return f"""
        WITH fresh AS (
            SELECT service_id, date_bin(%(width)s, created_at, %(origin)s) AS start{select_extra},
                   COUNT(DISTINCT reporter_key) AS reports{simulated_val}
            FROM reports_report
            WHERE is_counted AND created_at >= %(since)s AND created_at < %(until)s{only}
              {report_guard}
            GROUP BY 1, 2{select_extra}
        ), stale AS (
            DELETE FROM {table} b
            WHERE b.start >= %(since)s AND b.start < %(until)s{only.replace("service_id", "b.service_id")}
              {bucket_guard}
              AND NOT EXISTS (
                SELECT 1 FROM fresh f
                WHERE f.service_id = b.service_id AND f.start = b.start{match_extra}
              )
        )
        INSERT INTO {table} ({key_cols}, reports{simulated_col})
        SELECT * FROM fresh
        ON CONFLICT ({key_cols}) DO UPDATE SET reports = EXCLUDED.reports{simulated_set}
        WHERE {changed}
    """


def refresh_buckets(
    since: datetime, until: datetime, services: list[int] | None = None
) -> RefreshResult:
    """Recount all buckets overlapping [since, until) (aware datetimes, widened to bucket edges),
    of every service or of `services`, except those no raw reports stand behind (see above)."""
    width = bucket_width()
    since, until = floor_bucket(since, width), ceil_bucket(until, width)
    pruned = PruneMark.pruned_before()
    if pruned is not None and since < pruned:
        since = min(ceil_bucket(pruned, width), until)
    imported = ImportedHistory.objects.filter(start__lt=until, end__gt=since)
    if services is not None:
        imported = imported.filter(service_id__in=services)
    spans = list(imported.values_list("service_id", "start", "end"))
    # Any: the stubs' SQL parameter types leave out timedelta, which psycopg sends as an interval.
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "width": width,
        "origin": EPOCH,
        "services": services,
        "span_services": [s for s, _, _ in spans],
        "span_starts": [start for _, start, _ in spans],
        "span_ends": [end for _, _, end in spans],
    }
    if since >= until:  # the whole window lies before the prune's mark
        return RefreshResult(since=since, until=until, buckets=0)
    touched = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_ID])
        for table, extra in _TABLES:
            sql = _recount_sql(table, extra, guarded=bool(spans), some=services is not None)
            cursor.execute(sql, params)
            if table == "analytics_servicebucket":
                touched = cursor.rowcount
    return RefreshResult(since=since, until=until, buckets=touched)
