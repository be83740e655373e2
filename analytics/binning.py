"""Counting counted reports into buckets, in SQL, idempotently.

`refresh_buckets(since, until)` recounts every bucket overlapping [since, until) from the raw
reports and upserts the result; buckets in that window that no longer have reports are removed.
A re-run, an overlapping tick or a back-fill therefore gives the same rows.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from analytics.timeutils import EPOCH, bucket_width, ceil_bucket, floor_bucket

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


def _upsert_sql(table: str, extra: str | None) -> str:
    key_cols = "service_id, start" + (f", {extra}" if extra else "")
    select_extra = f", {extra}" if extra else ""
    simulated_col = ", simulated" if table == "analytics_servicebucket" else ""
    simulated_val = (
        ", COUNT(DISTINCT reporter_key) FILTER (WHERE is_simulated)"
        if table == "analytics_servicebucket"
        else ""
    )
    simulated_set = ", simulated = EXCLUDED.simulated" if simulated_col else ""
    return f"""
        INSERT INTO {table} ({key_cols}, reports{simulated_col})
        SELECT service_id, date_bin(%(width)s, created_at, %(origin)s) AS bucket{select_extra},
               COUNT(DISTINCT reporter_key){simulated_val}
        FROM reports_report
        WHERE is_counted AND created_at >= %(since)s AND created_at < %(until)s
        GROUP BY service_id, bucket{select_extra}
        ON CONFLICT ({key_cols}) DO UPDATE SET reports = EXCLUDED.reports{simulated_set}
    """


def _delete_stale_sql(table: str, extra: str | None) -> str:
    match_extra = f"AND r.{extra} = b.{extra}" if extra else ""
    return f"""
        DELETE FROM {table} b
        WHERE b.start >= %(since)s AND b.start < %(until)s
          AND NOT EXISTS (
            SELECT 1 FROM reports_report r
            WHERE r.is_counted AND r.service_id = b.service_id {match_extra}
              AND r.created_at >= b.start AND r.created_at < b.start + %(width)s
          )
    """


def refresh_buckets(since: datetime, until: datetime) -> RefreshResult:
    """Recount all buckets overlapping [since, until) (aware datetimes, widened to bucket edges)."""
    width = bucket_width()
    params = {
        "since": floor_bucket(since, width),
        "until": ceil_bucket(until, width),
        "width": width,
        "origin": EPOCH,
    }
    touched = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_ID])
        for table, extra in _TABLES:
            cursor.execute(_delete_stale_sql(table, extra), params)
            cursor.execute(_upsert_sql(table, extra), params)
            if table == "analytics_servicebucket":
                touched = cursor.rowcount
    return RefreshResult(since=params["since"], until=params["until"], buckets=touched)
