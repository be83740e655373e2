"""Cached parts of public pages and answers, kept per analytics run, failing open.

A key holds the stamp of the last analytics run (the per-minute job), so the next run makes a
new key and the old one expires. When the cache cannot be reached the value is built afresh
with a logged warning: a page is slower then, never an error.
"""

import gzip
import hashlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.text import compress_string

from analytics.models import ServiceStatus
from config.db_router import primary_reads

log = logging.getLogger(__name__)
Value = TypeVar("Value")

# How long a client or a proxy may keep a page or an answer without asking again. The
# per-minute job renews them; a browser's own refresh (live-refresh.js) revalidates by ETag.
PUBLIC_MAX_AGE = 30
# How long the cache keeps them: past the next analytics run the key is no longer asked for.
KEEP_SECONDS = 300


# The stamp of the last analytics run, in the shared cache, and what this process read of it.
RUN_KEY = "tremor:analytics-run"
# A process reads the stamp at most this often: one cache read a second instead of one per
# request, for a page that may be one second late after a run.
STAMP_MEMO_SECONDS = 1.0
_memo: dict = {"stamp": None, "until": 0.0}


def analytics_stamp() -> str:
    """The stamp of the last analytics run: part of every key of a cached page or answer."""
    if time.monotonic() < _memo["until"]:
        return _memo["stamp"]
    try:
        stamp = cache.get(RUN_KEY)
    except Exception as error:
        log.warning("page cache unavailable, reading the analytics stamp: %s", error)
        stamp = None
    if stamp is None:  # a new or flushed cache: the database knows when statuses were written
        last = ServiceStatus.objects.aggregate(last=Max("updated_at"))["last"]
        stamp = last.isoformat() if last else "-"
    _memo.update(stamp=stamp, until=time.monotonic() + STAMP_MEMO_SECONDS)
    return stamp


def forget_analytics_stamp() -> None:
    _memo.update(stamp=None, until=0.0)


def note_analytics_run(stamp: datetime) -> None:
    """Called once a run's statuses are committed: every page key changes with the stamp."""
    _memo.update(stamp=stamp.isoformat(), until=0.0)
    try:
        cache.set(RUN_KEY, stamp.isoformat(), timeout=None)
    except Exception as error:
        log.warning("page cache unavailable, not keeping the analytics stamp: %s", error)


# Whether simulated reports were counted in the last 24 hours, written by each analytics run:
# every public page then says it shows demo data, at no query of its own.
DEMO_KEY = "tremor:demo-data"


def note_demo_data(present: bool) -> None:
    try:
        cache.set(DEMO_KEY, present, timeout=None)
    except Exception as error:
        log.warning("page cache unavailable, not keeping the demo-data flag: %s", error)


def demo_data_shown() -> bool:
    """What the last analytics run found; False before the first run or without the cache."""
    try:
        return bool(cache.get(DEMO_KEY))
    except Exception as error:
        log.warning("page cache unavailable, reading the demo-data flag: %s", error)
        return False


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
    """A whole answer from the cache: its bytes, compressed once, are kept until the next
    analytics run, so a request costs a stamp query and a cache read, not a render.

    The answer is public (no cookie, no token, nothing about the visitor), which is what lets a
    browser, a reverse proxy or a CDN keep it for PUBLIC_MAX_AGE and revalidate by its ETag.
    """
    compressed, etag = cached(key, lambda: _encoded(_from_primary(build)), KEEP_SECONDS)
    if re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")):
        # GZipMiddleware leaves an answer that already has a Content-Encoding alone.
        response = HttpResponse(compressed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
        etag = etag[:-1] + '-gzip"'  # another representation, another entity tag
    else:  # rare (browsers, proxies and CDNs all take gzip): not worth a second copy
        response = HttpResponse(gzip.decompress(compressed), content_type=content_type)
    response["ETag"] = etag
    patch_vary_headers(response, ["Accept-Encoding"])
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    # A client or proxy that holds this answer gets a 304 (Django's If-None-Match rules).
    conditional = get_conditional_response(request, etag=etag, response=response)
    assert conditional is not None  # given a response, it answers with that or a 304/412
    return conditional


def _from_primary(build: Callable[[], bytes]) -> bytes:
    with primary_reads():
        return build()


def _encoded(body: bytes) -> tuple[bytes, str]:
    return compress_string(body), etag_for(body)
