"""Ingest and page benchmark, side by side with bare Django views, under production settings.

One gunicorn (config/gunicorn.py: the image's own settings, gthread) serves Tremor with
TREMOR_ENV=production, the Redis cache, the default throttles and one trusted proxy, and next to
it two yardsticks measured in the same run and the same server: a bare Django JSON view (the
framework's ceiling on this machine) and a bare view doing one autocommit INSERT. wrk drives each
endpoint for 3 × 10 s, interleaved so drift hits all alike; every request comes from a new
address spread over /24 networks, so every report is a new reporter that the throttles let
through and that must be stored and counted (the expensive case). Prints accepted/s (medians),
p50/p99 and the ratio to the bare view, then checks that the rows stored equal the 2xx answers.

    make bench            # or: .venv/bin/python bench/ingest.py [--seconds 10 --rounds 3]

Needs wrk (Debian's package) and Redis: CACHE_URL, or a reachable redis://127.0.0.1:6379, or a
`redis-server` on the PATH that the benchmark starts itself.
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "tremor_bench"
SCRIPT = ROOT / "bench" / "wrk" / "load.lua"
REPORT_BODY = json.dumps({"problem": "login"}, separators=(",", ":"))

from bench.benchdb import fresh_database  # noqa: E402

# (label, method, path, body, clients); the bare views answer the same body as a report.
ENDPOINTS = [
    ("bare Django JSON view, no database", "POST", "/bench/bare-json", REPORT_BODY, 16),
    ("bare Django view, one autocommit INSERT", "POST", "/bench/bare-insert", REPORT_BODY, 16),
    ("Tremor POST /api/v1/services/outlook/reports", "POST",
     "/api/v1/services/outlook/reports", REPORT_BODY, 16),
    ("bare Django JSON view, GET, at the page's 64 clients", "GET", "/bench/bare-json", "-", 64),
    ("Tremor service page (cached)", "GET", "/services/outlook/", "-", 64),
    ("Tremor series API (cached)", "GET", "/api/v1/services/outlook/series", "-", 64),
]  # fmt: skip
REPORT_ENDPOINT = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit(f"{what} did not start")
            time.sleep(0.2)


def redis_url(stack: list[subprocess.Popen]) -> str:
    """CACHE_URL, the local Redis, or one started here; exits with one line when there is none."""
    import redis

    for url in filter(None, [os.environ.get("CACHE_URL"), "redis://127.0.0.1:6379/15"]):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        except redis.RedisError:
            continue
    if not shutil.which("redis-server"):
        sys.exit("the benchmark runs with production settings and needs Redis: set CACHE_URL")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    stack.append(server)
    wait_for_port(port, server, "redis-server")
    return f"redis://127.0.0.1:{port}/0"


def manage(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout


def count_rows(env: dict, table: str) -> int:
    code = (
        "from django.db import connection; c = connection.cursor(); "
        f"c.execute('SELECT count(*) FROM {table}'); print(c.fetchone()[0])"
    )
    return int(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def wrk(port: int, endpoint: tuple, seconds: float, first_address: int) -> dict:
    _, method, path, body, clients = endpoint
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
         "-s", str(SCRIPT), f"http://127.0.0.1:{port}{path}",
         "--", method, path, body, str(first_address)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
    result = json.loads(line[4:])
    result["ok"] = sum(n for code, n in result["statuses"].items() if code.startswith("2"))
    result["per_second"] = result["ok"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("the benchmark needs wrk: apt-get install wrk")

    stack: list[subprocess.Popen] = []
    try:
        cache_url = redis_url(stack)
        import redis

        redis.Redis.from_url(cache_url).flushdb()
        fresh_database(BENCH_DB)
        env = {
            **os.environ,
            "DATABASE_NAME": BENCH_DB,
            "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
            "TREMOR_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CACHE_URL": cache_url,
            "TRUSTED_PROXY_COUNT": "1",
            "LOG_LEVEL": "WARNING",
        }
        for name in ("REPORT_THROTTLE_RATE", "NETWORK_THROTTLE_RATE"):
            env.pop(name, None)  # the defaults, as production runs them
        manage(
            env, "shell", "-c",
            "from django.db import connection; connection.cursor().execute("
            "'CREATE TABLE bench_bare_insert (id bigserial PRIMARY KEY, problem text, "
            "created_at timestamptz DEFAULT now())')",
        )  # fmt: skip
        # A day of crowd traffic so the pages have something to show, then one analytics run.
        manage(env, "simulate", "--backfill-days", "1", "--no-outage")
        manage(env, "refresh_analytics")
        before = count_rows(env, "reports_report")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # the access log
        )  # fmt: skip
        stack.append(server)
        wait_for_port(port, server, "gunicorn")

        address, answered = 0, 0
        for i, endpoint in enumerate(ENDPOINTS):  # warm-up: connections, pools, caches
            result = wrk(port, endpoint, 3, address)
            address += result["requests"] + 1000
            answered += result["ok"] if i == REPORT_ENDPOINT else 0
        runs: list[list[dict]] = [[] for _ in ENDPOINTS]
        for _ in range(args.rounds):
            for i, endpoint in enumerate(ENDPOINTS):
                result = wrk(port, endpoint, args.seconds, address)
                address += result["requests"] + 1000
                runs[i].append(result)
                answered += result["ok"] if i == REPORT_ENDPOINT else 0
        server.terminate()
        server.wait(timeout=30)
        stack.remove(server)
        stored = count_rows(env, "reports_report") - before
    finally:
        for process in reversed(stack):
            process.terminate()
            process.wait(timeout=30)

    with open(ROOT / "config" / "gunicorn.py") as f:
        config = {}
        exec(f.read(), config)  # noqa: S102 - our own settings file, for the header line
    print(
        f"gunicorn {config.get('worker_class', 'sync')}: {config.get('workers')} workers × "
        f"{config.get('threads', 1)} threads on {os.cpu_count()} cores; TREMOR_ENV=production, "
        f"Redis cache, default throttles, one trusted proxy; wrk, medians of {args.rounds} × "
        f"{args.seconds:g} s"
    )
    bare = statistics.median(r["per_second"] for r in runs[0])
    print("| endpoint | clients | 2xx/s | × bare | p50 ms | p99 ms | other answers |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for endpoint, results in zip(ENDPOINTS, runs, strict=True):
        rate = statistics.median(r["per_second"] for r in results)
        p50 = statistics.median(r["p50_ms"] for r in results)
        p99s = sorted(r["p99_ms"] for r in results)
        other: dict[str, int] = {}
        for r in results:
            for status, n in r["statuses"].items():
                if not status.startswith("2"):
                    other[status] = other.get(status, 0) + n
            if r["socket_errors"]:
                other["socket errors"] = other.get("socket errors", 0) + r["socket_errors"]
        print(
            f"| {endpoint[0]} | {endpoint[4]} | {rate:,.0f} | {rate / bare:.2f} | {p50:.1f} | "
            f"{p99s[0]:.1f}–{p99s[-1]:.1f} | {other or 'none'} |"
        )
    # wrk stops each run by closing its connections: the requests then in flight (at most one
    # per client) are still stored, but their answers are never read.
    in_flight = ENDPOINTS[REPORT_ENDPOINT][4] * (args.rounds + 1)
    print(
        f"reports stored: {stored:,}; 2xx answers read by wrk (incl. warm-up): {answered:,}; "
        f"cut off in flight at the end of a run: at most {in_flight}"
    )
    if not answered <= stored <= answered + in_flight:
        sys.exit("MISMATCH: a report answered 2xx is missing, or more were stored than sent")
    print("every report answered 2xx is stored: OK")


if __name__ == "__main__":
    main()
