"""Middleware of the project: a Content-Security-Policy header on every response (Django 5.2
has none built in), a trailing slash forgiven under /api/, and a quick 503 while the database
cannot be reached."""

import json
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from config.metrics import count_refusal

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = settings.CONTENT_SECURITY_POLICY
            for prefix, relaxed in settings.CONTENT_SECURITY_POLICY_EXCEPTIONS.items():
                if request.path.startswith(prefix):
                    policy = relaxed
            response["Content-Security-Policy"] = policy
        return response


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class ApiTrailingSlashMiddleware:
    """The API's addresses have no trailing slash; `/api/v1/services/` is served as
    `/api/v1/services` rather than refused. Served, not redirected: a redirect would turn a
    client's POST into a GET. Pages keep Django's APPEND_SLASH redirect the other way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and path.endswith("/") and not _resolves(path):
            trimmed = path.rstrip("/")
            if _resolves(trimmed):
                request.path_info = trimmed
                request.path = request.path[: len(request.path) - len(path)] + trimmed
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """While PostgreSQL is down (or the pool has no connection within DATABASE_POOL_TIMEOUT) a
    request gets a 503 with Retry-After at once: JSON under /api/, a short page elsewhere,
    instead of a bare 500. Nothing was stored, so a client may simply send it again.

    Once a request has found the database unreachable, the POSTs of the next BREAKER_SECONDS
    get the 503 without waiting for the pool: a thread waiting a second each would serve 8
    reports a second, and the rest would queue until their clients time out. Reads still try
    (most are answered from the cache without the database).
    """

    BREAKER_SECONDS = 2.0

    def __init__(self, get_response):
        self.get_response = get_response
        self.down_until = 0.0

    def __call__(self, request):
        if request.method == "POST" and time.monotonic() < self.down_until:
            return self.unavailable(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        if request.method == "POST":  # a write failed: the primary (a read may be the replica)
            self.down_until = time.monotonic() + self.BREAKER_SECONDS
        return self.unavailable(request)

    def unavailable(self, request) -> HttpResponse:
        if request.method == "POST" and "/report" in request.path:
            count_refusal("database_unavailable")
        message = "The database is unavailable; nothing was stored. Try again shortly."
        if request.path.startswith("/api/"):
            response = HttpResponse(
                json.dumps({"detail": message}), status=503, content_type="application/json"
            )
        else:
            response = HttpResponse(
                "<!doctype html><html lang=en><meta charset=utf-8><title>Tremor: try again"
                f"</title><h1>Tremor is briefly unavailable</h1><p>{message}</p></html>",
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
