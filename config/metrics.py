"""Prometheus metrics at /metrics (prometheus_client), for the web processes and the jobs.

Counters and the latency histogram live in each web process; under gunicorn they are summed
over its processes through prometheus_client's multiprocess mode (config/gunicorn.py sets
PROMETHEUS_MULTIPROC_DIR). What the worker knows (the last analytics pass, how late the
buckets are) is read at scrape time from the shared cache and the broker, so one scrape of any
web process tells it all, whichever container the worker runs in.
"""

import logging
import os
import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from kombu.exceptions import ChannelError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

REPORTS = Counter(
    "tremor_reports_total",
    "Reports stored, by whether they count and, if not, why (duplicate, honeypot, ...)",
    ["outcome"],
)
REFUSED = Counter(
    "tremor_reports_refused_total",
    "Report submissions refused before storing, by reason",
    ["reason"],
)
LATENCY = Histogram(
    "tremor_request_seconds",
    "Time to answer a request, by URL route, method and status class",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PASS_KEY = "tremor:metrics:analytics-pass"


def count_report(counted: bool, reason: str) -> None:
    REPORTS.labels(outcome="counted" if counted else reason or "not_counted").inc()


def count_refusal(reason: str) -> None:
    REFUSED.labels(reason=reason).inc()


def note_analytics_pass(finished_at: float, seconds: float) -> None:
    """Called by the per-minute job when a pass has committed (a Unix time, a duration)."""
    try:
        cache.set(PASS_KEY, (finished_at, seconds), timeout=None)
    except Exception as error:
        log.warning("cache unavailable, not keeping the pass metrics: %s", error)


class RequestLatencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        LATENCY.labels(route, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


class _ScrapeTime:
    """Gauges read when Prometheus asks: the last pass, the buckets' lag, the queue's depth."""

    def collect(self):
        try:
            finished_at, seconds = cache.get(PASS_KEY) or (None, None)
        except Exception:
            finished_at = seconds = None
        if finished_at is not None and seconds is not None:  # stored together
            last = GaugeMetricFamily(
                "tremor_analytics_pass_seconds", "Duration of the last analytics pass"
            )
            last.add_metric([], seconds)
            yield last
            lag = GaugeMetricFamily(
                "tremor_report_to_bucket_lag_seconds",
                "Age of the newest bucket counts: reports since then are not yet binned",
            )
            lag.add_metric([], max(time.time() - finished_at, 0.0))
            yield lag
        depth = _queue_depth()
        up = GaugeMetricFamily("tremor_broker_up", "Whether the broker answered this scrape")
        up.add_metric([], 0 if depth is None else 1)
        yield up
        if depth is not None:
            queued = GaugeMetricFamily("tremor_queue_depth", "Tasks waiting in the Celery queue")
            queued.add_metric([], depth)
            yield queued


def _queue_depth() -> int | None:
    from config.celery import app

    queue = app.conf.task_default_queue
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
            try:
                return connection.default_channel.queue_declare(queue, passive=True).message_count
            except ChannelError:
                return 0  # a queue no one has declared yet holds nothing (Redis says 404)
    except Exception as error:
        log.warning("broker unavailable for the metrics: %s", error)
        return None


def metrics(request: HttpRequest) -> HttpResponse:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(_ScrapeTime())
    body = generate_latest(registry) + generate_latest(scrape)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
