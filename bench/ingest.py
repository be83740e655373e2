"""Ingest benchmark: report submissions per second and latency through gunicorn on loopback.

Starts gunicorn (4 gthread workers) against PostgreSQL (the embedded one, or DATABASE_URL) on a
database of its own, then POSTs reports from 16 and 64 concurrent keep-alive clients. Each request
carries a distinct X-Forwarded-For address behind one trusted proxy, so every report is a new
reporter (the worst case: every request inserts a counted row). Prints accepted reports per second
and p50/p99 latency, and checks that the rows in the table equal the accepted reports.

    make bench            # or: .venv/bin/python bench/ingest.py [--requests N]
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "tremor_bench"

from bench.benchdb import fresh_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database() -> None:
    fresh_database(BENCH_DB)


def count_rows() -> int:
    env = {**os.environ, "DATABASE_NAME": BENCH_DB}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from reports.models import Report; print(Report.objects.count())"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip().splitlines()[-1])


def run_level(port: int, clients: int, total: int, offset: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_client = total // clients
    body = json.dumps({"problem": "login"})

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], {}
        for i in range(per_client):
            n = offset + index * per_client + i
            address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
            started = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/services/outlook/reports",
                body,
                {"Content-Type": "application/json", "X-Forwarded-For": address,
                 "User-Agent": "bench/1.0"},
            )  # fmt: skip
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    accepted = statuses.get(201, 0) + statuses.get(200, 0)
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "accepted": accepted,
        "statuses": statuses,
        "per_second": accepted / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6400, help="per concurrency level")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    prepare_database()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_NAME": BENCH_DB,
        "TRUSTED_PROXY_COUNT": "1",
        "REPORT_THROTTLE_RATE": "1000/min",
        "NETWORK_THROTTLE_RATE": "1000000/min",  # the bench cycles addresses inside /24s
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "gthread",
         "--threads", str(args.threads), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("gunicorn did not start")
                time.sleep(0.2)
        run_level(port, 8, 400, offset=10_000_000)  # warm-up: connections, pools, caches
        results = []
        offset = 0
        for clients in (16, 64):
            results.append(run_level(port, clients, args.requests, offset))
            offset += args.requests
    finally:
        server.terminate()
        server.wait(timeout=30)

    rows = count_rows()
    accepted = sum(r["accepted"] for r in results) + 400
    print(f"gunicorn: {args.workers} workers × {args.threads} threads on {os.cpu_count()} cores")
    print(
        f"{'clients':>8} {'requests':>9} {'accepted/s':>11} {'p50 ms':>8} {'p99 ms':>8}  statuses"
    )
    for r in results:
        print(
            f"{r['clients']:>8} {r['requests']:>9} {r['per_second']:>11.0f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}  {r['statuses']}"
        )
    print(f"rows in reports_report: {rows}; accepted responses (incl. warm-up): {accepted}")
    if rows != accepted:
        sys.exit("MISMATCH: rows stored differ from accepted reports")
    print("rows == accepted: OK")


if __name__ == "__main__":
    main()
