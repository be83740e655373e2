"""gunicorn settings for the image (compose and the Dockerfile use `-c config/gunicorn.py`).

The access log leaves out the client address (gunicorn's default format starts with it), and the
error log has every address gunicorn writes into it masked: Tremor stores no IP address, in its
tables or in its logs. It listens on loopback unless GUNICORN_BIND says otherwise (compose's web
service, which only its proxy reaches, listens on its network).
"""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
logger_class = "config.gunicorn_logging.AddressFreeLogger"
workers = 4
# Threads: a report waits on the database and the cache, not the CPU.
worker_class = "gthread"
threads = 8
accesslog = "-"
# Time, request line, status, bytes, duration, referrer, user agent: no %(h)s, no X-Forwarded-For.
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
if os.environ.get("LOG_FORMAT") == "json":
    # The same lines, each wrapped in a JSON object like the application's.
    from config.log_format import json_logging

    logconfig_dict = json_logging(os.environ.get("LOG_LEVEL", "INFO"))

# /metrics sums the counters of every worker process (prometheus_client's multiprocess mode):
# each process writes its values to files here, one directory per server (this file is read by
# the master), emptied when it starts and removed when it stops.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"tremor-metrics-{os.getpid()}")
)


def on_starting(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    else:  # yours: only the metric files go (prometheus_client's advice: empty it at start)
        for name in os.listdir(metrics_dir) if os.path.isdir(metrics_dir) else ():
            if name.endswith(".db"):
                os.unlink(os.path.join(metrics_dir, name))
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
