"""Reports live in one partition per UTC day; retention drops whole days."""

from datetime import UTC, date, timedelta

from django.db import connection
from django.utils import timezone

from analytics.binning import EPOCH, _recount_sql, bucket_width, refresh_buckets
from analytics.models import ServiceBucket
from reports.models import Comment, Report
from reports.partitions import (
    AHEAD_DAYS,
    day_partitions,
    day_start,
    ensure_partitions,
    partition_name,
)
from reports.retention import prune_reports, retention_cutoff
from reports.tasks import create_report_partitions
from tests.factories import make_report, make_reports


def _where(report: Report) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM reports_report WHERE id = %s", [report.pk]
        )
        return cursor.fetchone()[0]


def _days() -> set[date]:
    with connection.cursor() as cursor:
        return {p.day for p in day_partitions(cursor)}


def test_a_report_goes_to_its_days_partition_and_a_day_without_one_to_the_default(outlook):
    today = timezone.now().astimezone(UTC).date()
    assert today in _days()  # the migration made today's and the next days'
    now_report = make_report(outlook, at=timezone.now())
    assert _where(now_report) == partition_name(today)
    long_ago = day_start(today - timedelta(days=200)) + timedelta(hours=13)
    old = make_report(outlook, at=long_ago, key="o" * 32, comment="from back then")
    assert _where(old) == "reports_report_default"


def test_making_a_days_partition_moves_that_days_rows_out_of_the_default(outlook):
    day = timezone.now().astimezone(UTC).date() - timedelta(days=60)
    at = day_start(day) + timedelta(hours=9)
    report = make_report(outlook, at=at, key="m" * 32, comment="kept with its report")
    other_day = make_report(outlook, at=at + timedelta(days=1), key="n" * 32)
    assert ensure_partitions(day, day) == [partition_name(day)]
    assert _where(report) == partition_name(day)
    assert _where(other_day) == "reports_report_default"
    assert Report.objects.get(pk=report.pk).comment.body == "kept with its report"
    assert ensure_partitions(day, day) == []  # already there: nothing to do


def test_the_hourly_task_keeps_the_next_days_partitions(outlook, settings):
    today = timezone.now().astimezone(UTC).date()
    ahead = today + timedelta(days=AHEAD_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {partition_name(ahead)}")
    assert ahead not in _days()
    assert create_report_partitions() == [partition_name(ahead)]
    assert {today + timedelta(days=n) for n in range(AHEAD_DAYS + 1)} <= _days()
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["reports.tasks.create_report_partitions"] == 3600.0


def test_retention_drops_whole_days_with_their_comments_and_keeps_the_counts(outlook):
    now = timezone.now()
    cutoff = retention_cutoff(now, 30)
    assert cutoff == day_start((now - timedelta(days=30)).date())
    old_day = (cutoff - timedelta(days=5)).date()
    ensure_partitions(old_day, old_day)
    old_at = day_start(old_day) + timedelta(hours=12)
    make_reports(outlook, 3, at=old_at, prefix="old")
    make_report(outlook, at=old_at, key="c" * 32, comment="an old comment")
    stray = make_report(outlook, at=cutoff - timedelta(days=9), key="s" * 32)  # default
    # On the cutoff's day but after it: its day is not over the retention age yet.
    edge = make_report(outlook, at=cutoff + timedelta(hours=1), key="e" * 32, comment="stays")
    refresh_buckets(cutoff - timedelta(days=10), now)
    buckets = list(ServiceBucket.objects.order_by("start").values_list("start", "reports"))

    assert prune_reports(cutoff) == 5
    assert old_day not in _days()
    assert list(Report.objects.values_list("pk", flat=True)) == [edge.pk]
    assert not Report.objects.filter(pk=stray.pk).exists()
    assert list(Comment.objects.values_list("body", flat=True)) == ["stays"]
    assert list(ServiceBucket.objects.order_by("start").values_list("start", "reports")) == buckets


def test_a_duplicate_across_midnight_is_still_a_duplicate(outlook):
    midnight = day_start(timezone.now().astimezone(UTC).date())
    first = make_report(outlook, at=midnight - timedelta(minutes=2), key="d" * 32)
    second = make_report(outlook, at=midnight + timedelta(minutes=3), key="d" * 32)
    assert _where(first) != _where(second)
    assert Report.objects.get(pk=first.pk).is_counted
    assert Report.objects.get(pk=second.pk).not_counted_reason == "duplicate"


def test_the_per_minute_recount_reads_only_the_partitions_of_its_window(outlook):
    now = timezone.now()
    make_report(outlook, at=now)
    width = bucket_width()
    params = {
        "since": now - timedelta(minutes=30),
        "until": now,
        "width": width,
        "origin": EPOCH,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + _recount_sql("analytics_servicebucket", "", guarded=False, some=False),
            params,
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    read = {p for p in _days() if partition_name(p) in plan}
    assert read <= {(now - timedelta(minutes=30)).date(), now.date()} and read
    assert "reports_report_default" not in plan  # the day partitions cover the window
    assert partition_name(now.date() + timedelta(days=2)) not in plan
