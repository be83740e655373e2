"""Detection speed at 10,000 services, everything read from and written to PostgreSQL.

1. `backtest` of 60 days of 5-minute buckets (17,280 rows).
2. Baseline rebuild: a database of its own with 10,000 active services and 8 weeks of sparse
   ServiceBucket rows (a volume mix: lognormal rates, median 0.08 reports per bucket, so many
   services are quiet, 10 % above one report a bucket; 5 % of the services are younger than
   the window). The hourly task runs on a real Celery worker (`--concurrency 2`, as `make run`
   and compose start it): it splits the services into ranges and fits them as a group. Timed
   from sending the task until every baseline is written; peak RSS is the sum of the worker's
   processes' high-water marks (an upper bound of what they held at once).
   With `--dense` every service has a report in every bucket (161 million rows): the worst case.
3. The per-minute pass: `pipeline.refresh_analytics` (the recount of the buckets since the
   oldest one not judged yet, at least the last 10 minutes, from the reports table, then
   detection) on the same database, with the last 24 hours of reports
   in `reports_report` (about 1.7 million rows) and the baselines the rebuild fitted. A few
   dozen services have an outage in progress (some of them floods from one network), opened by
   the detector itself in warm-up passes, so the concentration check has young incidents to
   judge. Steady state: each timed pass is a new bucket (one closed, one filling per service).

    make bench-detection-speed            # or: python bench/detection_speed.py [--dense]

With DATABASE_URL the benchmark uses that server; without it the embedded PostgreSQL.
"""

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVICES = 10_000
WEEKS = 8
BENCH_DB = "tremor_bench_detection"
QUEUE = "tremor_bench_detection"
OUTAGES = 40  # services with an outage in progress
FLOODS = 8  # of which this many are floods from one network
REPORT_HOURS = 24

from bench.benchdb import fresh_database  # noqa: E402

# PostgreSQL's binary COPY: header, trailer, and its timestamps' epoch.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def bench_backtest() -> None:
    import pandas as pd

    from analytics.backtest import run_backtest

    rng = np.random.default_rng(5)
    index = pd.date_range("2026-01-05", periods=60 * 288, freq="5min", tz="UTC")
    t = np.arange(len(index))
    series = pd.Series(rng.poisson(10 * (1 + 0.8 * np.sin(2 * np.pi * t / 288))), index=index)
    started = time.perf_counter()
    run_backtest(series.astype(float))
    print(
        f"backtest: 60 days of 5-minute buckets ({len(index)} rows) in "
        f"{time.perf_counter() - started:.1f} s"
    )


def _shape(starts: np.ndarray) -> np.ndarray:
    """Relative traffic at the given bucket starts (epoch seconds): a day curve, quiet weekends."""
    day = 2 * np.pi * (starts % 86400) / 86400
    weekday = (starts // 86400 + 3) % 7  # 1970-01-01 was a Thursday
    return (1 + 0.8 * np.sin(day - np.pi / 2)) * np.where(weekday >= 5, 0.7, 1.0)


def _bucket_rows(ids: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> bytes:
    """Binary COPY rows for analytics_servicebucket (service_id, start, reports, simulated)."""
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("l1", ">i4"),
            ("service", ">i8"),
            ("l2", ">i4"),
            ("start", ">i8"),
            ("l3", ">i4"),
            ("reports", ">i4"),
            ("l4", ">i4"),
            ("simulated", ">i4"),
        ]
    )
    rows = np.zeros(len(ids), dtype=row)
    rows["fields"], rows["l1"], rows["l2"], rows["l3"], rows["l4"] = 4, 8, 8, 4, 4
    rows["service"] = ids
    rows["start"] = (starts - int(PG_EPOCH.timestamp())) * 1_000_000
    rows["reports"] = counts
    return rows.tobytes()


def populate(now: datetime, dense: bool) -> list[int]:
    """10,000 services, 8 weeks of buckets and the last 24 hours as raw reports.

    Returns the services with an outage in progress (the first FLOODS of them floods)."""
    from django.db import connection

    from analytics.binning import refresh_buckets
    from analytics.timeutils import floor_bucket
    from reports.models import Category, ProblemType, Service

    category = Category.objects.get(slug="email")
    Service.objects.bulk_create(
        [Service(name=f"Bench {i}", slug=f"bench-{i}", category=category) for i in range(SERVICES)],
        batch_size=2000,
    )
    ids = np.array(
        Service.objects.filter(slug__startswith="bench-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = np.random.default_rng(3)
    rates = rng.lognormal(-2.5, 2.0, size=len(ids))
    width = 300
    end = int(floor_bucket(now).timestamp()) + 3 * width  # the timed passes run up to here
    first = end - WEEKS * 7 * 86400
    raw_from = end - 3 * width - REPORT_HOURS * 3600  # from here on, buckets come from reports
    starts = np.arange(first, end, width)
    shape = _shape(starts)
    # 5 % of the services began during the window: no buckets before their first day.
    born = np.where(rng.random(len(ids)) < 0.05, rng.integers(first, raw_from, len(ids)), 0)
    outages = rng.choice(np.nonzero((rates > 0.5) & (rates < 20) & (born == 0))[0], OUTAGES, False)
    t = time.perf_counter()
    history, recent = 0, []
    with connection.cursor() as cursor:
        for chunk in range(0, len(ids), 250):
            rows = slice(chunk, chunk + 250)
            counts = rng.poisson(rates[rows, None] * shape[None, :])
            if dense:
                counts += 1
            counts[starts[None, :] < born[rows, None]] = 0
            r, c = np.nonzero(counts[:, starts < raw_from])
            with cursor.cursor.copy(
                "COPY analytics_servicebucket (service_id, start, reports, simulated) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(COPY_HEADER)
                copy.write(_bucket_rows(ids[rows][r], starts[c], counts[r, c]))
                copy.write(COPY_TRAILER)
            history += len(r)
            late = counts[:, starts >= raw_from]
            r, c = np.nonzero(late)
            recent.append((ids[rows][r], starts[starts >= raw_from][c], late[r, c]))
        print(
            f"(set-up: {history:,} ServiceBucket rows of {WEEKS} weeks before the last "
            f"{REPORT_HOURS} h in {time.perf_counter() - t:.0f} s)"
        )
        # The outages: ten times the usual rate and at least 30 reports a bucket for the last
        # 40 minutes, from many networks, or for the floods, from one.
        onset = end - 3 * width - 8 * width
        service, bucket, count = (np.concatenate(x) for x in zip(*recent, strict=True))
        extra_starts = np.arange(onset, end, width)
        for i, row in enumerate(outages):
            extra = np.maximum(rng.poisson(10 * rates[row] * _shape(extra_starts)), 30)
            service = np.concatenate([service, np.full(len(extra_starts), ids[row])])
            bucket = np.concatenate([bucket, extra_starts])
            count = np.concatenate([count, -extra if i < FLOODS else extra])
        t = time.perf_counter()
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_counts (service_id bigint, start bigint, n int)"
        )
        with cursor.cursor.copy("COPY bench_counts FROM STDIN") as copy:
            for row in zip(service.tolist(), bucket.tolist(), count.tolist(), strict=True):
                copy.write_row(row)
        # Negative counts are the floods: their network key is one, the others are random.
        cursor.execute(
            "INSERT INTO reports_report (service_id, problem_id, created_at, reporter_key, "
            "network_key, ua_family, country, region, is_counted, not_counted_reason, "
            "is_simulated, seconds_to_submit) "
            "SELECT service_id, %(problem)s, "
            "to_timestamp(start + floor(random() * %(width)s)), md5(random()::text), "
            "CASE WHEN n < 0 THEN 'flood' ELSE substr(md5(random()::text), 1, 12) END, "
            "'Chrome', (ARRAY['US','GB','DE','FR','IN'])[1 + floor(random() * 5)::int], '', "
            "true, '', false, 5 + floor(random() * 60)::int "
            "FROM bench_counts, generate_series(1, abs(n))",
            {"problem": ProblemType.objects.filter(category=category).first().pk, "width": width},
        )
        reports = cursor.rowcount
        cursor.execute("DROP TABLE bench_counts")
        cursor.execute("ANALYZE")
    refresh_buckets(datetime.fromtimestamp(raw_from, UTC), datetime.fromtimestamp(end, UTC))
    print(
        f"(set-up: {reports:,} reports of the last {REPORT_HOURS} h, recounted into buckets, in "
        f"{time.perf_counter() - t:.0f} s)"
    )
    return [int(ids[row]) for row in outages]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _high_water_gib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024 / 1024


def bench_rebuild(env: dict, dense: bool) -> None:
    """The hourly task on a real worker, timed until every active service's baseline is new."""
    from django.utils import timezone

    from analytics import tasks
    from analytics.models import Baseline
    from reports.models import Service

    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "2",
            "--loglevel", "WARNING", "-Q", QUEUE, "--without-gossip", "--without-mingle",
        ],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(8)  # the worker and its pool start
        if worker.poll() is not None:
            raise SystemExit("the Celery worker did not start")
        active = Service.objects.active().count()
        sent = timezone.now()
        started = time.perf_counter()
        tasks.rebuild_baselines.delay()
        while Baseline.objects.filter(updated_at__gte=sent).count() < active:
            if time.perf_counter() - started > 900 or worker.poll() is not None:
                raise SystemExit("the rebuild did not finish")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        rss = _high_water_gib([worker.pid, *_children(worker.pid)])
    finally:
        worker.terminate()
        worker.wait(30)
    from analytics.models import ServiceBucket

    rows = ServiceBucket.objects.count()
    print(
        f"baseline rebuild{' (dense)' if dense else ''}: {active} services × {WEEKS} weeks "
        f"({rows:,} ServiceBucket rows in the table) read from PostgreSQL, fitted and written "
        f"by a Celery group on a worker with 2 processes in {elapsed:.1f} s, "
        f"peak RSS of the worker {rss:.2f} GiB"
    )


def bench_detection_pass(now: datetime, outages: list[int]) -> None:
    from analytics import pipeline
    from analytics.models import Incident
    from analytics.timeutils import floor_bucket

    current = floor_bucket(now)
    # Warm-up: the detector meets the outages bucket by bucket, opens and judges them.
    for k in range(12, 0, -1):
        pipeline.refresh_analytics(current - k * timedelta(minutes=5) + timedelta(minutes=4))
    timings = []
    for k in range(3):
        moment = current + k * timedelta(minutes=5) + timedelta(minutes=2)
        started = time.perf_counter()
        refreshed, result = pipeline.refresh_analytics(moment)
        timings.append(time.perf_counter() - started)
    unresolved = Incident.objects.unresolved()
    young = unresolved.filter(review="", detected_at__gte=moment - timedelta(hours=1))
    print(
        f"per-minute pass (refresh_analytics: recount + detection): "
        f"{result.services} services, {refreshed.buckets} buckets recounted, "
        f"{unresolved.count()} unresolved incidents ({young.count()} young, judged for "
        f"concentration; {unresolved.filter(review='held').count()} held): best of 3 "
        f"{min(timings):.2f} s (range {min(timings):.2f}–{max(timings):.2f} s)"
    )
    missed = set(outages) - set(unresolved.values_list("service_id", flat=True))
    if missed:
        print(f"  ({len(missed)} of the {len(outages)} outages have no incident)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dense", action="store_true", help="a report in every bucket")
    args = parser.parse_args()
    bench_backtest()
    fresh_database(BENCH_DB)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_NAME": BENCH_DB,
        "CELERY_QUEUE": QUEUE,
    }
    broker = None
    if "CELERY_BROKER_URL" not in os.environ:  # the filesystem broker, in a directory of its own
        broker = tempfile.TemporaryDirectory(prefix="tremor-bench-broker-")
        env["CELERY_BROKER_DIR"] = broker.name
    os.environ.update(env)
    import django

    django.setup()
    from config.embedded_db import start_embedded_database

    start_embedded_database()
    # The data's present is an hour ahead of the clock: the rebuild (on the worker's clock) fits
    # the history before the outages, which begin 40 minutes before the timed passes.
    now = datetime.now(UTC) + timedelta(hours=1)
    outages = populate(now, args.dense)
    bench_rebuild(env, args.dense)
    bench_detection_pass(now, outages)
    if broker is not None:
        broker.cleanup()


if __name__ == "__main__":
    main()
