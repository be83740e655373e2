"""Detection speed at 10,000 services: the per-minute detection pass and the baseline rebuild.

1. Baseline rebuild: 10,000 services × 8 weeks of dense 5-minute counts fitted with the shipped
   `fit_baselines`, in the pipeline's batches of 1,000 (numpy arrays in memory; reading 161
   million bucket values out of PostgreSQL is not part of this figure). Prints time and peak RSS.
2. `backtest` of 60 days of 5-minute buckets (about 17,000 rows).
3. Detection pass: a database of its own with 10,000 active services, each with a stored weekly
   baseline and a current bucket of reports, then `pipeline.detect_incidents` as the per-minute
   task runs it (the steady state: one closed and one filling bucket per service).

    make bench-detection-speed
"""

import os
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVICES = 10_000
BENCH_DB = "tremor_bench_detection"

from bench.benchdb import fresh_database  # noqa: E402


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def bench_rebuild() -> None:
    from analytics.detector.baselines import fit_baselines

    per_day, weeks, batch = 288, 8, 1000
    length = weeks * 7 * per_day
    rng = np.random.default_rng(11)
    shape = 1 + 0.8 * np.sin(2 * np.pi * np.arange(length) / per_day)
    started = time.perf_counter()
    generated = 0.0
    for _ in range(0, SERVICES, batch):
        t = time.perf_counter()
        scale = rng.lognormal(1.0, 1.5, size=(batch, 1))
        counts = rng.poisson(scale * shape).astype(float)
        generated += time.perf_counter() - t
        fit_baselines(counts, 0, per_day)
    elapsed = time.perf_counter() - started - generated
    print(
        f"baseline rebuild: {SERVICES} services × {weeks} weeks × {per_day}/day buckets: "
        f"{elapsed:.1f} s (data generation excluded), peak RSS {peak_rss_gib():.2f} GiB"
    )


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


def bench_detection_pass() -> None:
    fresh_database(BENCH_DB)
    os.environ["DATABASE_NAME"] = BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from analytics import pipeline
    from analytics.models import ServiceBucket
    from analytics.timeutils import floor_bucket
    from reports.models import Category, Service

    category = Category.objects.get(slug="email")
    Service.objects.bulk_create(
        [Service(name=f"Bench {i}", slug=f"bench-{i}", category=category) for i in range(SERVICES)],
        batch_size=2000,
    )
    ids = list(Service.objects.values_list("pk", flat=True))
    now = timezone.now()
    rng = np.random.default_rng(3)
    t = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY analytics_baseline (service_id, expected, alpha, level, history_days, updated_at) "
            "FROM STDIN"
        ) as copy,
    ):
        for sid in ids:
            level = float(rng.lognormal(1.0, 1.5))
            expected = [round(level, 3)] * 2016
            copy.write_row((sid, expected, 0.05, 1.0, 56, now))
    print(f"(set-up: {len(ids)} baselines stored in {time.perf_counter() - t:.1f} s)")
    current = floor_bucket(now)
    ServiceBucket.objects.bulk_create(
        [
            ServiceBucket(service_id=sid, start=start, reports=int(rng.poisson(5)))
            for sid in ids
            for start in (current - timedelta(minutes=5), current)
        ],
        batch_size=5000,
    )
    pipeline.detect_incidents(now - timedelta(minutes=5))  # first pass creates the statuses
    timings = []
    for i in range(3):
        started = time.perf_counter()
        result = pipeline.detect_incidents(now + timedelta(seconds=20 * i))
        timings.append(time.perf_counter() - started)
    print(
        f"detection pass: {result.services} services in {min(timings):.2f} s "
        f"(best of 3; all: {', '.join(f'{x:.2f}' for x in timings)})"
    )


if __name__ == "__main__":
    bench_backtest()
    bench_rebuild()
    bench_detection_pass()
