"""Probes for a process supervisor or load balancer: alive, and ready (its dependencies answer).

/healthz touches nothing, so a restart is only ordered for a process that cannot answer at all;
/readyz checks the database, the cache and the broker, each within a short timeout, so a load
balancer can take the process out of rotation while one of them is gone.
"""

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz", "1", 10)
    if cache.get("readyz") != "1":
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def readyz(request):
    checks: dict[str, dict[str, object]] = {}
    ready = True
    for name, check in (("database", _database), ("cache", _cache), ("broker", _broker)):
        started = time.monotonic()
        try:
            check()
            checks[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
        except Exception as error:  # any failure means not ready; say which and why
            ready = False
            checks[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:200]}
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
