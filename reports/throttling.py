"""Submission rate limits shared by the API and the HTML form.

Two identities, each over several windows: the reporter (address + browser family, as counted)
and the reporter's network (/24 or /48), so a script cycling user agents or addresses within one
network runs into the second. Cache keys hold HMACs, never addresses.

Each window is a sliding-window counter: the count of the current fixed window plus the previous
window's count weighted by how much of it the sliding window still covers. On Redis all windows
of a request cost one round trip (a pipeline of INCR, EXPIRE and GET); DRF's history throttles
cost a GET and a SET of a growing pickled list per window, which was 40 % of the report path. A
refused request is taken back out, so only accepted ones count, as before.

When the cache cannot be reached the limits fail open with a logged warning: reports keep being
accepted, and the database's dedupe still counts each reporter once.
"""

import contextlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from reports.identity import client_address, network_key, reporter_key, ua_family

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Window:
    identity: str  # "reporter" or "network"
    limit: int
    seconds: int

    @property
    def name(self) -> str:
        return f"{self.identity}-{self.limit}/{self.seconds}s"


def parse_rate(identity: str, rate: str) -> Window:
    """'10/min' → Window(identity, 10, 60). Also s, m, h, d and sec, hour, day."""
    count, _, period = rate.strip().partition("/")
    if not count.strip().isdigit() or period.strip() not in PERIODS:
        raise ValueError(f"{rate!r} is not a rate like 10/min")
    return Window(identity, int(count), PERIODS[period.strip()])


def windows() -> list[Window]:
    """Every configured window, read at request time so operators and tests can change them."""
    found = []
    for identity, setting in (
        ("reporter", "REPORT_THROTTLE_RATE"),
        ("network", "NETWORK_THROTTLE_RATE"),
    ):
        found += [
            parse_rate(identity, rate)
            for rate in settings.TREMOR[setting].split(",")
            if rate.strip()
        ]
    return found


def _idents(request: HttpRequest, now: float) -> dict[str, str]:
    day = datetime.fromtimestamp(now, UTC).date()
    address = client_address(request)
    family = ua_family(request.META.get("HTTP_USER_AGENT", ""))
    return {"reporter": reporter_key(address, family, day), "network": network_key(address, day)}


def _keys(window: Window, ident: str, now: float) -> tuple[str, str, float]:
    """The current and previous fixed windows' keys, and the share of the previous one that the
    sliding window still covers."""
    index, into = divmod(now, window.seconds)
    base = f"throttle:{window.name}:{ident}"
    return f"{base}:{int(index)}", f"{base}:{int(index) - 1}", 1.0 - into / window.seconds


def _count_redis(cache: RedisCache, counted: list[tuple[str, str, int]]) -> list[tuple[int, int]]:
    """(current, previous) counts after adding one to each current key: one round trip."""
    client = cache._cache.get_client(None, write=True)
    pipe = client.pipeline(transaction=False)
    for current, previous, ttl in counted:
        pipe.incr(cache.make_and_validate_key(current))
        pipe.expire(cache.make_and_validate_key(current), ttl, nx=True)
        pipe.get(cache.make_and_validate_key(previous))
    replies = pipe.execute()
    return [(int(replies[i]), int(replies[i + 2] or 0)) for i in range(0, len(replies), 3)]


def _uncount_redis(cache: RedisCache, keys: list[str]) -> None:
    pipe = cache._cache.get_client(None, write=True).pipeline(transaction=False)
    for key in keys:
        pipe.decr(cache.make_and_validate_key(key))
    pipe.execute()


def _count_other(cache, counted: list[tuple[str, str, int]]) -> list[tuple[int, int]]:
    """The same with the portable cache API (the in-process cache of the embedded default)."""
    result = []
    for current, previous, ttl in counted:
        if cache.add(current, 1, ttl):
            value = 1
        else:
            try:
                value = cache.incr(current)
            except ValueError:  # expired between add and incr
                cache.set(current, 1, ttl)
                value = 1
        result.append((value, int(cache.get(previous) or 0)))
    return result


def _uncount_other(cache, keys: list[str]) -> None:
    for key in keys:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
            cache.decr(key)


def check_reporter_throttle(request: HttpRequest) -> float | None:
    """None when the request may go on; otherwise the seconds to wait before the next attempt."""
    configured = windows()
    if not configured:
        return None
    now = time.time()
    idents = _idents(request, now)
    plan = [(w, *_keys(w, idents[w.identity], now)) for w in configured]
    counted = [(current, previous, 2 * w.seconds) for w, current, previous, _ in plan]
    cache = caches["default"]
    redis = isinstance(cache, RedisCache)
    try:
        counts = _count_redis(cache, counted) if redis else _count_other(cache, counted)
    except Exception as error:  # the cache is down or misbehaving: fail open
        logger.warning("submission throttles skipped, the cache failed: %s", error)
        return None
    waits = []
    for (window, _, _, covered), (current, previous) in zip(plan, counts, strict=True):
        if current + previous * covered > window.limit:
            # Until the current fixed window ends, at the least.
            waits.append(max(1.0, window.seconds - now % window.seconds))
    if not waits:
        return None
    try:
        keys = [current for _, current, _, _ in plan]
        _uncount_redis(cache, keys) if redis else _uncount_other(cache, keys)
    except Exception as error:
        logger.warning("a refused submission could not be taken back out: %s", error)
    return math.ceil(max(waits))
