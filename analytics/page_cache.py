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

from analytics.models import ServiceStatus

log = logging.getLogger(__name__)
Value = TypeVar("Value")


def analytics_stamp(slug: str) -> str:
    """When the per-minute job last wrote this service's status ("-" before its first run)."""
    stamp = (
        ServiceStatus.objects.filter(service__slug=slug)
        .values_list("updated_at", flat=True)
        .first()
    )
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
