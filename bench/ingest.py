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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "tremor_bench"
SCRIPT = ROOT / "bench" / "wrk" / "load.lua"
REPORT_BODY = json.dumps({"problem": "login"}, separators=(",", ":"))

from bench.benchdb import fresh_database  # noqa: E402

# (label, method, path, body, clients, through); the bare views answer the same body as a
# report. "gunicorn" is the server itself; "nginx" is the production proxy in front of it, with
# the project's own configuration (config/nginx.conf.template) and its cache.
ENDPOINTS = [
    ("bare Django JSON view, no database", "POST", "/bench/bare-json", REPORT_BODY, 16,
     "gunicorn"),
    ("bare Django view, one autocommit INSERT", "POST", "/bench/bare-insert", REPORT_BODY, 16,
     "gunicorn"),
    ("Tremor POST /api/v1/services/outlook/reports", "POST",
     "/api/v1/services/outlook/reports", REPORT_BODY, 16, "gunicorn"),
    ("bare Django JSON view, GET, at the page's 64 clients", "GET", "/bench/bare-json", "-", 64,
     "gunicorn"),
    ("Tremor service page, cached by Django", "GET", "/services/outlook/", "-", 64, "gunicorn"),
    ("Tremor series API, cached by Django", "GET", "/api/v1/services/outlook/series", "-", 64,
     "gunicorn"),
    ("Tremor service page through nginx", "GET", "/services/outlook/", "-", 64, "nginx"),
    ("Tremor series API through nginx", "GET", "/api/v1/services/outlook/series", "-", 64,
     "nginx"),
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


def production_env(database: str, cache_url: str, **extra: str) -> dict:
    """Compose's production settings for the benchmarks' processes: a random SECRET_KEY, Redis,
    the default throttles (whatever this shell sets), nginx on loopback as the trusted proxy."""
    env = {
        **os.environ,
        "DATABASE_NAME": database,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TREMOR_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CACHE_URL": cache_url,
        "TRUSTED_PROXIES": "127.0.0.1/32",  # nginx on loopback
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    for name in ("REPORT_THROTTLE_RATE", "NETWORK_THROTTLE_RATE"):
        env.pop(name, None)
    return env


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


def start_nginx(upstream: int, stack: list[subprocess.Popen], scratch: Path) -> int:
    """nginx in front of gunicorn with the production configuration; its port."""
    port = free_port()
    site = (ROOT / "config" / "nginx.conf.template").read_text()
    site = site.replace("${TREMOR_UPSTREAM}", f"127.0.0.1:{upstream}")
    site = site.replace("${NGINX_PORT}", f"127.0.0.1:{port}")
    site = site.replace("/var/cache/nginx/tremor", str(scratch / "cache"))
    # TLS would end in front of nginx in production; here the connection is plain HTTP.
    site = site.replace("X-Forwarded-Proto $scheme;", "X-Forwarded-Proto https;")
    (scratch / "tremor.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {scratch / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    # What the official image's nginx.conf sets around the site file, in a scratch directory.
    (scratch / "nginx.conf").write_text(
        f"daemon off; user root; worker_processes auto; pid {scratch / 'nginx.pid'};\n"
        f"error_log {scratch / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ access_log {scratch / 'access.log'}; sendfile on; keepalive_timeout 65; "
        f"{temp} uwsgi_temp_path {scratch / 'uwsgi'}; scgi_temp_path {scratch / 'scgi'}; "
        f"include {scratch / 'tremor.conf'}; }}\n"
    )
    server = subprocess.Popen(["nginx", "-c", str(scratch / "nginx.conf")])
    stack.append(server)
    wait_for_port(port, server, "nginx")
    return port


def wrk(port: int, endpoint: tuple, seconds: float, first_address: int) -> dict:
    return wrk_together([(port, endpoint, first_address)], seconds)[0]


def wrk_together(jobs: list[tuple[int, tuple, int]], seconds: float) -> list[dict]:
    """Runs of wrk at the same time, one per (port, endpoint, first address); their results."""
    started = []
    for port, (_, method, path, body, clients, _), first_address in jobs:
        started.append(subprocess.Popen(
            ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
             "-s", str(SCRIPT), f"http://127.0.0.1:{port}{path}",
             "--", method, path, body, str(first_address)],
            stdout=subprocess.PIPE, text=True,
        ))  # fmt: skip
    results = []
    for process in started:
        out, _ = process.communicate()
        if process.returncode:
            sys.exit(f"wrk failed with exit code {process.returncode}")
        line = next(x for x in out.splitlines() if x.startswith("WRK "))
        result = json.loads(line[4:])
        result["ok"] = sum(n for code, n in result["statuses"].items() if code.startswith("2"))
        result["per_second"] = result["ok"] / result["seconds"]
        results.append(result)
    return results


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
        env = production_env(BENCH_DB, cache_url, DJANGO_SETTINGS_MODULE="bench.bare_settings")
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
        if shutil.which("nginx"):
            scratch = Path(tempfile.mkdtemp(prefix="tremor-nginx-"))
            ports = {"gunicorn": port, "nginx": start_nginx(port, stack, scratch)}
        else:
            print("nginx is missing (apt-get install nginx): its rows are left out")
            ports = {"gunicorn": port}
        endpoints = [e for e in ENDPOINTS if e[5] in ports]

        address, answered = 0, 0
        for i, endpoint in enumerate(endpoints):  # warm-up: connections, pools, caches
            result = wrk(ports[endpoint[5]], endpoint, 3, address)
            address += result["requests"] + 1000
            answered += result["ok"] if i == REPORT_ENDPOINT else 0
        runs: list[list[dict]] = [[] for _ in endpoints]
        for _ in range(args.rounds):
            for i, endpoint in enumerate(endpoints):
                result = wrk(ports[endpoint[5]], endpoint, args.seconds, address)
                address += result["requests"] + 1000
                runs[i].append(result)
                answered += result["ok"] if i == REPORT_ENDPOINT else 0
        mixed: list[tuple[dict, dict]] = []
        if "nginx" in ports:
            # The outage morning: readers through nginx while reports arrive (sent to gunicorn
            # as nginx would forward them, so each keeps its own address).
            page = next(e for e in ENDPOINTS if e[5] == "nginx")
            for _ in range(args.rounds):
                write, read = wrk_together(
                    [(port, ENDPOINTS[REPORT_ENDPOINT], address),
                     (ports["nginx"], page, 0)],
                    args.seconds,
                )  # fmt: skip
                address += write["requests"] + 1000
                answered += write["ok"]
                mixed.append((write, read))
        server.terminate()
        server.wait(timeout=30)
        stack.remove(server)
        stored = count_rows(env, "reports_report") - before
        size = manage(
            env, "shell", "-c",
            "from django.db import connection; c = connection.cursor(); c.execute("
            "\"SELECT pg_total_relation_size('reports_report') / count(*) FROM reports_report\"); "
            "print(c.fetchone()[0])",
        ).strip().splitlines()[-1]  # fmt: skip
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
    print("| endpoint | served by | clients | 2xx/s | × bare | p50 ms | p99 ms | other answers |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for endpoint, results in zip(endpoints, runs, strict=True):
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
            f"| {endpoint[0]} | {endpoint[5]} | {endpoint[4]} | {rate:,.0f} | {rate / bare:.2f} | {p50:.1f} | "
            f"{p99s[0]:.1f}–{p99s[-1]:.1f} | {other or 'none'} |"
        )
    if mixed:
        writes = statistics.median(w["per_second"] for w, _ in mixed)
        reads = statistics.median(r["per_second"] for _, r in mixed)
        p99s = sorted(r["p99_ms"] for _, r in mixed)
        write_p99s = sorted(w["p99_ms"] for w, _ in mixed)
        print(
            f"together: {writes:,.0f} reports/s (16 clients, p99 {write_p99s[0]:.1f}–"
            f"{write_p99s[-1]:.1f} ms) while the page is read {reads:,.0f}/s through nginx "
            f"(64 clients, p99 {p99s[0]:.1f}–{p99s[-1]:.1f} ms): {reads / writes:,.0f} reads "
            "per write"
        )
    # wrk stops each run by closing its connections: the requests then in flight (at most one
    # per client) are still stored, but their answers are never read.
    runs_of_reports = args.rounds * (2 if mixed else 1) + 1
    in_flight = ENDPOINTS[REPORT_ENDPOINT][4] * runs_of_reports
    print(
        f"reports stored: {stored:,}; 2xx answers read by wrk (incl. warm-up): {answered:,}; "
        f"cut off in flight at the end of a run: at most {in_flight}"
    )
    print(f"reports_report holds {int(size):,} bytes per report with its indexes")
    if not answered <= stored <= answered + in_flight:
        sys.exit("MISMATCH: a report answered 2xx is missing, or more were stored than sent")
    print("every report answered 2xx is stored: OK")


if __name__ == "__main__":
    main()
