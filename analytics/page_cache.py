"""Cached parts of public pages and answers, kept per analytics run, failing open.

A key holds the time the per-minute job last wrote a service's status, so the next run makes a
new key and the old one expires. When the cache cannot be reached the value is built afresh
with a logged warning: a page is slower then, never an error.
"""

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.text import compress_string

from analytics.models import ServiceStatus

log = logging.getLogger(__name__)
Value = TypeVar("Value")

# How long a client or a proxy may keep a page or an answer without asking again. The
# per-minute job renews them; a browser's own refresh (live-refresh.js) revalidates by ETag.
PUBLIC_MAX_AGE = 30
# How long the cache keeps them: past the next analytics run the key is no longer asked for.
KEEP_SECONDS = 300


def analytics_stamp(slug: str) -> str:
    """When the per-minute job last wrote this service's status ("-" before its first run)."""
    stamp = (
        ServiceStatus.objects.filter(service__slug=slug)
        .values_list("updated_at", flat=True)
        .first()
    )
    return stamp.isoformat() if stamp else "-"


def site_stamp() -> str:
    """When the per-minute job last wrote any status: the key of pages about many services."""
    stamp = ServiceStatus.objects.aggregate(last=Max("updated_at"))["last"]
    return stamp.isoformat() if stamp else "-"


def cached(key: str, build: Callable[[], Value], seconds: int) -> Value:
    try:
        value = cache.get(key)
    except Exception as error:  # the cache is down: render, slower but correct
        log.warning("page cache unavailable, rendering %s: %s", key, error)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, seconds)
        except Exception as error:
            log.warning("page cache unavailable, not keeping %s: %s", key, error)
    return value


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cached_response(
    request: HttpRequest, key: str, build: Callable[[], bytes], content_type: str
) -> HttpResponse:
    """A whole answer from the cache: its bytes, plain and compressed once, are kept until the
    next analytics run, so a request costs a stamp query and a cache read, not a render.

    The answer is public (no cookie, no token, nothing about the visitor), which is what lets a
    browser, a reverse proxy or a CDN keep it for PUBLIC_MAX_AGE and revalidate by its ETag.
    """
    body, compressed, etag = cached(key, lambda: _encoded(build()), KEEP_SECONDS)
    if re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")):
        # GZipMiddleware leaves an answer that already has a Content-Encoding alone.
        response = HttpResponse(compressed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
        etag = etag[:-1] + '-gzip"'  # another representation, another entity tag
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    patch_vary_headers(response, ["Accept-Encoding"])
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    # A client or proxy that holds this answer gets a 304 (Django's If-None-Match rules).
    return get_conditional_response(request, etag=etag, response=response)


def _encoded(body: bytes) -> tuple[bytes, bytes, str]:
    return body, compress_string(body), etag_for(body)
