"""Reports are stored in one partition per UTC day (PostgreSQL's declarative range partitioning).

At an outage's rate the table grows by millions of rows a day. Split by day, retention drops a
whole day's table (a moment, no dead rows, no vacuum debt) instead of deleting rows one by one,
and the per-minute recount and the dedupe check read only the partitions of the last minutes.

A default partition takes any row no day partition covers (a clock far off, a back-filled
simulation), so an insert never fails for want of a partition. Creating a day's partition moves
that day's rows out of the default first: PostgreSQL refuses to create a partition for a range
the default still holds rows of.

Partition DDL waits for the parent's lock, which every insert holds for a moment; a lock
timeout keeps it from queueing reports behind it. A partition that could not be created now
is created by the next run, and meanwhile its rows go to the default partition.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

PARENT = "reports_report"
DEFAULT = "reports_report_default"
# Partitions are created this many days ahead, so that the hourly task missing a few days
# never sends a day's reports to the default partition.
AHEAD_DAYS = 7
LOCK_TIMEOUT = "5s"
# One writer of partitions at a time (an hourly task, retention, a migration, a benchmark).
PARTITION_LOCK_ID = 7_263_001
_NAME = re.compile(r"^reports_report_p(\d{8})$")


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _literal(moment: datetime) -> str:
    # DDL takes no parameters; the value is one we made from a date, never from input.
    return f"'{moment.isoformat()}'"


def _bounds_sql(day: date) -> str:
    start = day_start(day)
    return f"FROM ({_literal(start)}) TO ({_literal(start + timedelta(days=1))})"


@dataclass(frozen=True)
class Partition:
    day: date
    name: str


def day_partitions(cursor) -> list[Partition]:
    """The day partitions of the reports table, oldest first (the default one is not listed)."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [PARENT],
    )
    found = []
    for (name,) in cursor.fetchall():
        match = _NAME.match(name)
        if match:
            found.append(Partition(datetime.strptime(match[1], "%Y%m%d").date(), name))
    return sorted(found, key=lambda p: p.day)


def _locked(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK_ID])
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    # PostgreSQL alters or drops no table with foreign-key checks still pending (ours are
    # deferred to commit): run those of this transaction now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def ensure_partitions(first: date, last: date) -> list[str]:
    """Create the missing day partitions from `first` to `last` (inclusive); returns their names.

    Rows of those days waiting in the default partition are moved into their new partition."""
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        _locked(cursor)
        existing = {p.day for p in day_partitions(cursor)}
        day = first
        while day <= last:
            if day not in existing:
                _create(cursor, day)
                created.append(partition_name(day))
            day += timedelta(days=1)
    return created


def _create(cursor, day: date) -> None:
    name, start = partition_name(day), day_start(day)
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE created_at >= %s AND created_at < %s)",
        [start, start + timedelta(days=1)],
    )
    if not cursor.fetchone()[0]:
        cursor.execute(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES {_bounds_sql(day)}")
        return
    # Build the day's table beside the parent, move its rows out of the default partition, then
    # attach it: PostgreSQL checks on attach that the default holds none of the day any more,
    # and gives the new partition the parent's indexes.
    cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE created_at >= %s AND created_at < %s "
        f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
        [start, start + timedelta(days=1)],
    )
    cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES {_bounds_sql(day)}")


def ensure_upcoming_partitions(today: date) -> list[str]:
    """Yesterday's (a late clock), today's and the next AHEAD_DAYS days' partitions."""
    return ensure_partitions(today - timedelta(days=1), today + timedelta(days=AHEAD_DAYS))


def drop_partitions_before(day: date) -> int:
    """Drop the day partitions of days before `day` and the comments of their reports; returns
    how many reports went. Each partition goes in a transaction of its own."""
    dropped = 0
    with connection.cursor() as cursor:
        old = [p for p in day_partitions(cursor) if p.day < day]
    for partition in old:
        with transaction.atomic(), connection.cursor() as cursor:
            _locked(cursor)
            cursor.execute(f"SELECT count(*) FROM {partition.name}")
            count = cursor.fetchone()[0]
            # Comments point at their report without a foreign key (a key into a partitioned
            # table must hold the partition key), so they go here, with their reports.
            cursor.execute(
                f"DELETE FROM reports_comment WHERE report_id IN (SELECT id FROM {partition.name})"
            )
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {partition.name}")
            cursor.execute(f"DROP TABLE {partition.name}")
        dropped += count
    return dropped
