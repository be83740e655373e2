"""Fault drill: the whole product loses one part at a time while reports keep coming.

A stack of its own in a scratch directory: the embedded PostgreSQL, two redis-servers (the
cache, the broker), gunicorn (config/gunicorn.py) and the Celery worker with its scheduler,
with production settings and one trusted proxy. A sender posts reports at --rate a second,
each from a new address. Phase by phase, one part is taken away and brought back:

    steady · cache down · broker down · PostgreSQL stopped · the worker SIGKILLed and kept
    down past the per-minute job's look-back · recovered

The look-back is set to one minute here (REFRESH_LOOKBACK_MINUTES, 10 by default) so that the
worker's absence outlasts it within the drill: the job that runs when the worker is back must
bin everything since its last run, not only its look-back.

For each phase it prints what the senders got (2xx, 503, other answers, socket errors, p99).
At the end it waits for the per-minute job and checks that nothing was lost or counted twice:
rows stored against 2xx answers, and every bucket against a clean recount of the raw rows.

    make drill            # or: .venv/bin/python bench/drill.py [--phase-seconds 30 --rate 20]
"""

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOOKBACK_MINUTES = 1

from bench.ingest import free_port, manage, production_env, wait_for_port  # noqa: E402

BUCKETS_MATCH_SQL = """
    WITH fresh AS (
        SELECT service_id, date_bin(interval '%(minutes)s minutes', created_at,
                                    timestamptz '1970-01-01 00:00+00') AS start,
               COUNT(DISTINCT reporter_key) AS reports
        FROM reports_report WHERE is_counted GROUP BY 1, 2
    ), kept AS (SELECT service_id, start, reports FROM analytics_servicebucket)
    SELECT (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept) a),
           (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM fresh) b),
           (SELECT count(*) FROM fresh), (SELECT coalesce(sum(reports), 0) FROM kept)
"""


class Sender(threading.Thread):
    """Posts a report every 1/rate s, each from a new address; tallies answers by phase."""

    def __init__(self, port: int, rate: float):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/api/v1/services/outlook/reports"
        self.rate, self.phase, self.n = rate, "steady", 0
        self.tally: dict[str, Counter] = {}
        self.latency: dict[str, list[float]] = {}
        self.running = True
        self.lock = threading.Lock()

    def run(self) -> None:
        workers = []
        next_at = time.monotonic()
        while self.running:
            next_at += 1 / self.rate
            self.n += 1
            worker = threading.Thread(target=self.send, args=(self.n, self.phase), daemon=True)
            worker.start()
            workers.append(worker)
            time.sleep(max(next_at - time.monotonic(), 0))
        for worker in workers:
            worker.join(timeout=15)

    def send(self, n: int, phase: str) -> None:
        address = f"{11 + n % 200}.{n // 200 % 256}.{n // 51200 % 256}.7"
        request = urllib.request.Request(
            self.url,
            data=b'{"problem": "login"}',
            headers={"Content-Type": "application/json", "X-Forwarded-For": address,
                     "X-Forwarded-Proto": "https"},
        )  # fmt: skip
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                outcome = f"{response.status // 100}xx"
        except urllib.error.HTTPError as error:
            outcome = str(error.code) if error.code == 503 else f"{error.code // 100}xx"
        except OSError:
            outcome = "socket error"
        with self.lock:
            self.tally.setdefault(phase, Counter())[outcome] += 1
            self.latency.setdefault(phase, []).append(time.monotonic() - started)


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("a"),
                            stderr=subprocess.STDOUT)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase-seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="reports a second")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("the drill needs redis-server (apt-get install redis-server)")

    scratch = Path(tempfile.mkdtemp(prefix="tremor-drill-"))
    cache_port, broker_port, web_port = free_port(), free_port(), free_port()

    def redis_command(port: int) -> list[str]:
        return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"]  # fmt: skip

    env = production_env(
        "tremor",
        f"redis://127.0.0.1:{cache_port}/1",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{broker_port}/0",
        REFRESH_LOOKBACK_MINUTES=str(LOOKBACK_MINUTES),
    )
    for name in ("DATABASE_URL", "DATABASE_NAME"):
        env.pop(name, None)  # the embedded PostgreSQL, in the scratch directory
    env["TREMOR_VAR_DIR"] = str(scratch)
    pgdata = scratch / "pgdata"
    log = scratch / "stack.log"
    stop_db = (f"from pathlib import Path; from config.embedded_db import stop_embedded; "
               f"stop_embedded(Path({str(pgdata)!r}))")  # fmt: skip
    processes: dict[str, subprocess.Popen] = {}
    worker_command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
                      "--concurrency", "2", "--schedule", str(scratch / "beat"),
                      "--loglevel", "INFO"]  # fmt: skip
    sender = None
    try:
        for name, port in (("cache", cache_port), ("broker", broker_port)):
            processes[name] = start(redis_command(port), env, log)
            wait_for_port(port, processes[name], "redis-server")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_catalog")
        processes["web"] = start(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{web_port}", "--workers", "2"], env, log,
        )  # fmt: skip
        wait_for_port(web_port, processes["web"], "gunicorn")
        processes["worker"] = start(worker_command, env, log)
        time.sleep(10)  # the worker's start-up takes the CPU for a few seconds

        sender = Sender(web_port, args.rate)
        sender.start()
        time.sleep(args.phase_seconds)
        events = []

        for name, port in (("cache", cache_port), ("broker", broker_port)):
            sender.phase = f"{name} down"
            processes.pop(name).kill()
            time.sleep(args.phase_seconds)
            processes[name] = start(redis_command(port), env, log)
            events.append(f"the {name}'s Redis killed, then started again (empty)")

        sender.phase = "PostgreSQL stopped"
        subprocess.run([sys.executable, "-c", stop_db], cwd=ROOT, env=env, check=True)
        time.sleep(args.phase_seconds)
        manage(env, "shell", "-c", "print('the database is back')")  # starts it again
        events.append("PostgreSQL stopped (fast shutdown), then started again")

        sender.phase = "worker SIGKILLed, down past the look-back"
        processes.pop("worker").send_signal(signal.SIGKILL)
        time.sleep(max(args.phase_seconds, LOOKBACK_MINUTES * 60 + 40))
        processes["worker"] = start(worker_command, env, log)
        events.append(
            f"the worker SIGKILLed, kept down {LOOKBACK_MINUTES * 60 + 40:.0f} s (its look-back "
            f"is {LOOKBACK_MINUTES} min), then started again"
        )

        sender.phase = "recovered"
        time.sleep(args.phase_seconds)
        sender.running = False
        sender.join(timeout=30)
        answered = sum(c["2xx"] for c in sender.tally.values())

        code = ("from django.db import connection; c = connection.cursor(); "
                "c.execute('SELECT count(*) FROM reports_report'); print(c.fetchone()[0])")  # fmt: skip
        stored = int(manage(env, "shell", "-c", code).strip().splitlines()[-1])
        # The next per-minute pass bins everything; then the buckets must equal a recount.
        deadline = time.monotonic() + 150
        check = (
            "from django.db import connection; from django.conf import settings; "
            "c = connection.cursor(); "
            f"c.execute({BUCKETS_MATCH_SQL!r} % {{'minutes': settings.TREMOR['BUCKET_MINUTES']}}); "
            "print(*c.fetchone())"
        )
        while True:
            missing, extra, buckets, binned = map(
                int, manage(env, "shell", "-c", check).strip().splitlines()[-1].split()
            )
            if (missing == extra == 0 and buckets) or time.monotonic() > deadline:
                break
            time.sleep(5)
    finally:
        if sender is not None:
            sender.running = False
        for process in processes.values():
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run([sys.executable, "-c", stop_db], cwd=ROOT, env=env)

    print(f"reports sent at {args.rate:g}/s, {args.phase_seconds:g} s a phase; log: {log}")
    print("| phase | 2xx | 503 | other | socket errors | p99 s |")
    print("|---|---:|---:|---:|---:|---:|")
    for phase, tally in sender.tally.items():
        times = sorted(sender.latency[phase])
        p99 = times[min(int(len(times) * 0.99), len(times) - 1)]
        other = sum(n for k, n in tally.items() if k not in ("2xx", "503", "socket error"))
        print(f"| {phase} | {tally['2xx']:,} | {tally['503']:,} | {other:,} | "
              f"{tally['socket error']:,} | {p99:.2f} |")  # fmt: skip
    for event in events:
        print(f"- {event}")
    print(f"rows stored: {stored:,}; 2xx answers: {answered:,}")
    print(f"buckets against a clean recount of the raw rows: {buckets:,} buckets holding "
          f"{binned:,} reports; {missing} missing or wrong, {extra} extra")  # fmt: skip
    print("(a report can be stored and its answer lost when the client gives up first: rows "
          "stored may exceed the 2xx answers, never the reverse)")  # fmt: skip
    failed = stored < answered or missing or extra
    sys.exit("DRILL FAILED: a report was lost or a bucket is wrong" if failed else 0)


if __name__ == "__main__":
    main()
