"""Burst drill: the whole product under an outage morning's rush, then the time to catch up.

gunicorn (config/gunicorn.py), the Celery worker with its scheduler and nginx (when installed)
run together with production settings: TREMOR_ENV=production, Redis as cache and broker, the
default throttles, one trusted proxy. After a day of simulated traffic, wrk sends reports at
--times the day's average rate (every report from a new address, spread over 20 services) for
--minutes, while readers fetch a service page through nginx at --reads-per-write times that.
Prints accepted reports/s, every other answer by code, p50/p99 of writes and reads, whether the
rows stored equal the 2xx answers, how long the per-minute analytics passes took during the
burst, and the time from the end of the burst until every counted report is in a bucket.

    make bench-burst      # or: .venv/bin/python bench/burst.py [--times 100 --minutes 10]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import fresh_database  # noqa: E402
from bench.ingest import (  # noqa: E402
    count_rows,
    free_port,
    manage,
    production_env,
    redis_url,
    start_nginx,
    wait_for_port,
)

BURST_DB = "tremor_burst"
SCRIPT = ROOT / "bench" / "wrk" / "burst.lua"
CLIENTS = {"POST": 32, "GET": 64}


def query(env: dict, code: str) -> str:
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def paced_wrk(port: int, method: str, rate: float, seconds: float, targets: list[str], first: int):
    clients = CLIENTS[method]
    pace = max(int(clients * 1000 / rate), 1)  # ms each connection waits between requests
    return subprocess.Popen(
        ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
         "-s", str(SCRIPT), f"http://127.0.0.1:{port}/",
         "--", method, str(pace), str(first), *targets],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def result_of(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        sys.exit(f"wrk failed with exit code {process.returncode}")
    result = json.loads(next(x for x in out.splitlines() if x.startswith("WRK "))[4:])
    result["ok"] = sum(n for code, n in result["statuses"].items() if code.startswith("2"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=float, default=100.0, help="× the day's average rate")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--reads-per-write", type=float, default=10.0)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("the drill needs wrk: apt-get install wrk")

    stack: list[subprocess.Popen] = []
    scratch = Path(tempfile.mkdtemp(prefix="tremor-burst-"))
    try:
        cache_url = redis_url(stack)
        import redis

        redis.Redis.from_url(cache_url).flushdb()
        fresh_database(BURST_DB)
        env = production_env(BURST_DB, cache_url, CELERY_BROKER_URL=cache_url, LOG_LEVEL="INFO")
        manage(env, "simulate", "--backfill-days", "1", "--no-outage")
        daily = int(query(env, "from reports.models import Report; print(Report.objects.count())"))
        average = daily / 86400
        rate = average * args.times
        slugs = query(
            env,
            "from reports.models import Service; print(' '.join(Service.objects.active()"
            ".filter(category__problem_types__slug='login').order_by('slug')"
            ".values_list('slug', flat=True)[:20]))",
        ).split()
        port = free_port()
        stack.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        ))  # fmt: skip
        wait_for_port(port, stack[-1], "gunicorn")
        worker_log = (scratch / "worker.log").open("w")
        stack.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--concurrency", "2",
             "--schedule", str(scratch / "beat-schedule"), "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
        read_port = start_nginx(port, stack, scratch) if shutil.which("nginx") else port
        before = count_rows(env, "reports_report")
        time.sleep(5)  # the scheduler's first tick

        seconds = args.minutes * 60
        started = time.time()
        writes = paced_wrk(port, "POST", rate, seconds, slugs, 0)
        reads = paced_wrk(
            read_port, "GET", rate * args.reads_per_write, seconds, [f"/services/{slugs[0]}/"], 0
        )
        passes: dict[float, float] = {}
        client = redis.Redis.from_url(cache_url)
        from django.core.cache.backends.redis import RedisSerializer

        serializer = RedisSerializer()
        while writes.poll() is None:
            # The per-minute job's passes, as /metrics reads them (config.metrics.PASS_KEY).
            raw = next(iter(client.keys("*tremor:metrics:analytics-pass")), None)
            if raw is not None and (value := client.get(raw)) is not None:
                finished_at, duration = serializer.loads(value)
                passes[finished_at] = duration
            time.sleep(2)
        write, read = result_of(writes), result_of(reads)
        ended = time.time()

        # The burst's reports only (the day before is marked simulated, in rows and buckets).
        counted_sql = (
            "from reports.models import Report; from analytics.models import ServiceBucket; "
            "from django.db.models import Sum; "
            "r = Report.objects.counted().filter(is_simulated=False).count(); "
            "t = ServiceBucket.objects.aggregate(n=Sum('reports'), s=Sum('simulated')); "
            "print(r, (t['n'] or 0) - (t['s'] or 0))"
        )
        deadline = ended + 600
        while True:
            counted, binned = map(int, query(env, counted_sql).split())
            if binned >= counted or time.time() > deadline:
                break
            time.sleep(2)
        caught_up = time.time() - ended
        stored = count_rows(env, "reports_report") - before
    finally:
        for process in reversed(stack):
            process.terminate()
            process.wait(timeout=60)

    burst = [d for t, d in passes.items() if started <= t <= ended]
    gaps = [b - a for a, b in zip(sorted(passes), sorted(passes)[1:], strict=False)]
    other = {k: v for k, v in write["statuses"].items() if not k.startswith("2")}
    print(
        f"{daily:,} simulated reports in the day before: {average:.2f}/s on average; burst at "
        f"{args.times:g}× = {rate:,.1f} reports/s over {len(slugs)} services for "
        f"{args.minutes:g} min, pages read {args.reads_per_write:g}× as often"
        f"{' through nginx' if read_port != port else ''}"
    )
    print(
        f"writes: {write['ok'] / write['seconds']:,.1f} accepted/s, p50 {write['p50_ms']:.1f} ms, "
        f"p99 {write['p99_ms']:.1f} ms, other answers: {other or 'none'}, socket errors: "
        f"{write['socket_errors']}"
    )
    print(
        f"reads: {read['ok'] / read['seconds']:,.1f}/s, p50 {read['p50_ms']:.1f} ms, "
        f"p99 {read['p99_ms']:.1f} ms, non-2xx: "
        f"{sum(v for k, v in read['statuses'].items() if not k.startswith('2'))}"
    )
    print(
        f"rows stored: {stored:,}; 2xx answers: {write['ok']:,} "
        f"(at most {CLIENTS['POST']} more in flight when wrk stopped)"
    )
    if burst:
        print(
            f"analytics passes during the burst: {len(burst)}, longest {max(burst):.2f} s, "
            f"longest gap between two passes {max(gaps, default=0):.0f} s"
        )
    print(f"every counted report in a bucket {caught_up:.0f} s after the burst ended"
          f" ({counted:,} counted, {binned:,} in buckets)")  # fmt: skip
    if not write["ok"] <= stored <= write["ok"] + CLIENTS["POST"]:
        sys.exit("MISMATCH: rows stored differ from the 2xx answers")
    if binned < counted:
        sys.exit("NOT CAUGHT UP: counted reports still missing from the buckets")


if __name__ == "__main__":
    main()
