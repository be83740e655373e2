"""Reports at 50 million rows: the per-minute pass, ingest's dedupe and retention on a full table.

A database of its own holds the catalogue and 50 million reports in day partitions: 30 days of
ordinary traffic (43.5 million: services' volumes spread over four orders of magnitude, a daily
cycle, 4 % duplicates) and, in the last two hours, the outage morning (6.5 million, Downdetector's
steepest published burst): one group's services spike together, the fix lands after an hour
and a tail lingers. Then, timed:

1. the history recount (every bucket of the 30 days from the reports, what `refresh_analytics
   --since` does after a change of the rules) and the hourly baseline rebuild;
2. the per-minute pass (`pipeline.refresh_analytics`: recount the look-back, detect) five times,
   each after another minute of reports at the tail's rate has arrived; its budget is the minute;
3. one report at a time through the real store (`submit_report`: dedupe check, insert), 500 times;
4. retention dropping the oldest day.

It prints which partitions the per-minute recount reads, and the table's size per row.

    make bench-scale        # or: python bench/scale.py [--rows 50000000]

With DATABASE_URL the benchmark uses that server; without it the embedded PostgreSQL. About
20 minutes here, most of it loading; it needs about 25 GB of disk.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "tremor_bench_scale"
DAYS = 30
BURST_SHARE = 0.13  # 6.5 of 50 million
OUTAGE_GROUP = "microsoft-365"
PICKS = 20_000  # rows of the table a report's service and problem are drawn from

from bench.benchdb import fresh_database  # noqa: E402

COLUMNS = (
    "id, service_id, problem_id, created_at, reporter_key, network_key, ua_family, country, "
    "region, is_counted, not_counted_reason, is_simulated, seconds_to_submit"
)
# One generated row: its service and problem from a pick table, the rest at random. `u` places
# it in its span (the daily cycle bends it), `d` makes 4 % of them duplicates.
ROW_SQL = f"""
INSERT INTO {{table}} ({COLUMNS})
SELECT nextval('reports_report_id_seq'), p.service_id, p.problem_id,
       %(start)s::timestamptz + make_interval(secs => %(span)s * {{bend}}),
       md5(g.u::text || g.d::text), substr(md5(floor(g.d * 300000)::text), 1, 32), 'Chrome',
       (ARRAY['US','US','US','CA','GB','DE','FR','IN','BR','MX'])[1 + floor(g.d * 10)::int],
       '', g.d >= 0.04, CASE WHEN g.d < 0.04 THEN 'duplicate' ELSE '' END, false,
       CASE WHEN g.d < 0.5 THEN 3 + floor(g.d * 100)::int END
FROM (SELECT random() AS u, random() AS d, floor(random() * {{picks}})::int AS k
      FROM generate_series(1, %(n)s)) g
JOIN {{pick}} p ON p.k = g.k
"""
# The daily cycle: a monotone bend of [0, 1) that puts three times as many reports at the busy
# hour (UTC evening, the Americas' afternoon) as at the quiet one.
DAY_BEND = (
    "(g.u - 0.5 * sin(2 * pi() * (g.u - 0.3)) / (2 * pi()) - 0.5 * sin(0.6 * pi()) / (2 * pi()))"
)


def _pick_table(cursor, name: str, services: list[tuple[int, list[int]]], weights) -> None:
    """A table of PICKS rows (k, service_id, problem_id), each service's share its weight's."""
    shares = np.maximum(1, np.round(PICKS * weights / weights.sum())).astype(int)
    rows = []
    for (service, problems), share in zip(services, shares, strict=True):
        rows += [(service, problems[i % len(problems)]) for i in range(share)]
    rows = rows[:PICKS] + rows[: max(0, PICKS - len(rows))]
    cursor.execute(f"CREATE TABLE {name} (k int PRIMARY KEY, service_id bigint, problem_id bigint)")
    with cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for k, (service, problem) in enumerate(rows[:PICKS]):
            copy.write_row((k, service, problem))


def _burst_minutes() -> np.ndarray:
    """The outage's share of reports per minute over its two hours: a ten-minute rise, fifty
    minutes near the top, the fix, then a tail that halves every twelve minutes."""
    minutes = np.arange(120)
    shape = np.where(minutes < 10, (minutes + 1) / 10, 1.0)
    shape = np.where(minutes >= 60, 0.6 * 0.5 ** ((minutes - 60) / 12), shape)
    return shape / shape.sum()


def populate(now: datetime, rows: int) -> tuple[float, int]:
    """Load the reports; returns (seconds, reports per minute at the tail's end)."""
    from django.db import connection

    from reports.models import ProblemType, Service
    from reports.partitions import partition_name

    services = [
        (
            s.pk,
            list(ProblemType.objects.filter(category=s.category_id).values_list("pk", flat=True)),
        )
        for s in Service.objects.active().order_by("pk")
    ]
    rng = np.random.default_rng(11)
    weights = rng.lognormal(0.0, 1.6, size=len(services))
    in_group = set(Service.objects.filter(group__slug=OUTAGE_GROUP).values_list("pk", flat=True))
    outage = [(pk, problems) for pk, problems in services if pk in in_group]
    today = now.date()
    first = today - timedelta(days=DAYS)
    background = rows * (1 - BURST_SHARE)
    burst = rows * BURST_SHARE
    burst_start = now - timedelta(hours=2)
    per_minute = _burst_minutes() * burst
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        _pick_table(cursor, "bench_pick", services, weights)
        outage_weights = np.array([3.0] + [1.0] * (len(outage) - 1))  # the suite's mail first
        _pick_table(cursor, "bench_outage_pick", outage, outage_weights)
        day = first
        while day <= today:
            start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
            span = min(86400.0, (now - start).total_seconds())
            name = partition_name(day)
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(
                f"CREATE TABLE {name} (LIKE reports_report INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            n = int(background / (DAYS + span / 86400) * span / 86400)
            sql = ROW_SQL.format(table=name, bend=DAY_BEND, picks=PICKS, pick="bench_pick")
            cursor.execute(sql, {"start": start, "span": span, "n": n})
            for minute, count in enumerate(per_minute):
                at = burst_start + timedelta(minutes=minute)
                if at.date() != day or count < 1:
                    continue
                sql = ROW_SQL.format(table=name, bend="g.u", picks=PICKS, pick="bench_outage_pick")
                cursor.execute(sql, {"start": at, "span": 60.0, "n": int(count)})
            end = start + timedelta(days=1)
            cursor.execute(
                f"ALTER TABLE reports_report ATTACH PARTITION {name} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            print(f"  {day}: loaded", flush=True)
            day += timedelta(days=1)
        cursor.execute("ANALYZE reports_report")
    return time.perf_counter() - t, int(per_minute[-1])


def _one_minute(cursor, at: datetime, outage_rate: int, background_rate: int) -> None:
    """A minute of reports after `at`: the outage's tail and the ordinary traffic, inserted
    through the parent table as the web inserts them."""
    for pick, n in (("bench_outage_pick", outage_rate), ("bench_pick", background_rate)):
        sql = ROW_SQL.format(table="reports_report", bend="g.u", picks=PICKS, pick=pick)
        cursor.execute(sql, {"start": at, "span": 60.0, "n": n})


def _plan_summary(now: datetime) -> str:
    from django.db import connection

    from analytics.binning import EPOCH, _recount_sql
    from analytics.timeutils import bucket_width

    params = {
        "since": now - timedelta(minutes=30),
        "until": now,
        "width": bucket_width(),
        "origin": EPOCH,
    }
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _recount_sql("analytics_servicebucket", ""), params)
        plan = [row[0] for row in cursor.fetchall()]
    scans = [
        line.strip().lstrip("-> ").split("  (")[0] for line in plan if " on reports_report" in line
    ]
    return "; ".join(scans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="reports to load")
    args = parser.parse_args()
    fresh_database(BENCH_DB)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_NAME": BENCH_DB})
    import django

    django.setup()
    from config.embedded_db import start_embedded_database

    start_embedded_database()
    from django.conf import settings
    from django.db import connection

    from analytics.baselines import rebuild_baselines
    from analytics.binning import refresh_buckets
    from analytics.pipeline import refresh_analytics
    from reports.models import ProblemType, Service
    from reports.retention import prune_reports
    from reports.services import Reporter, submit_report

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    seconds, tail = populate(now, args.rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_report")
        (total,) = cursor.fetchone()
        cursor.execute(
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
            "WHERE inhparent = 'reports_report'::regclass"
        )
        size = int(cursor.fetchone()[0])
    print(
        f"loaded {total:,} reports in {DAYS + 1} day partitions in {seconds:.0f} s; "
        f"{size / 1e9:.1f} GB with indexes, {size / total:.0f} bytes per report"
    )

    t = time.perf_counter()
    first = datetime.combine(now.date() - timedelta(days=DAYS), datetime.min.time(), tzinfo=UTC)
    day = first
    while day < now:  # a day at a time, as an operator would re-bin history
        refresh_buckets(day, min(now, day + timedelta(days=1)))
        day += timedelta(days=1)
    print(f"history recount, {DAYS} days from the reports: {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    fitted = rebuild_baselines(now - timedelta(hours=2))  # the history before the outage
    print(f"baseline rebuild ({fitted} services): {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    refresh_analytics(now)
    print(f"first per-minute pass (replays what it may): {time.perf_counter() - t:.1f} s")
    print(f"the per-minute recount reads: {_plan_summary(now)}")
    lookback = settings.TREMOR["REFRESH_LOOKBACK_MINUTES"]
    background_rate = int(args.rows * (1 - BURST_SHARE) / DAYS / 1440)
    passes = []
    for minute in range(1, 6):
        at = now + timedelta(minutes=minute)
        with connection.cursor() as cursor:
            _one_minute(cursor, at - timedelta(minutes=1), tail, background_rate)
        t = time.perf_counter()
        refreshed, detected = refresh_analytics(at)
        passes.append(time.perf_counter() - t)
    print(
        f"per-minute pass x5 (look-back {lookback} min, {tail + background_rate:,} new reports "
        f"a minute): median {np.median(passes):.2f} s, max {max(passes):.2f} s of its 60 s; "
        f"{detected.services} services judged"
    )

    outlook = Service.objects.get(slug="outlook")
    problem = ProblemType.objects.filter(category=outlook.category).first()
    latencies = []
    for i in range(500):
        t = time.perf_counter()
        # 400 people, a hundred of them pressing twice: both branches of the dedupe check.
        reporter = Reporter(key=f"{i % 400:032d}", ua_family="Chrome", country="US")
        submit_report(service=outlook, problem=problem, reporter=reporter, now=datetime.now(UTC))
        latencies.append(time.perf_counter() - t)
    print(
        f"one report through the store (dedupe check + insert), 500 serial: "
        f"p50 {np.percentile(latencies, 50) * 1e3:.1f} ms, p99 {np.percentile(latencies, 99) * 1e3:.1f} ms"
    )

    t = time.perf_counter()
    dropped = prune_reports(first + timedelta(days=1))
    print(
        f"retention, the oldest day: {dropped:,} reports dropped in {time.perf_counter() - t:.2f} s"
    )


if __name__ == "__main__":
    main()
