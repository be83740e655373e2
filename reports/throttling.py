"""Submission rate limits shared by the API and the HTML form.

Two identities, each over several windows: the reporter (address + browser family, as counted)
and the reporter's network (/24 or /48), so a script cycling user agents or addresses within one
network runs into the second. Cache keys hold HMACs, never addresses.

Each window is a sliding-window counter: the count of the current fixed window plus the previous
window's count weighted by how much of it the sliding window still covers. On Redis all windows
of a request are one small Lua script (one round trip, one command to encode: a pipeline of a
dozen commands cost more Python than the rest of the throttle); DRF's history throttles cost a
GET and a SET of a growing pickled list per window, which was 40 % of the report path. A refused
request is taken back out, so only accepted ones count, as before.

When the cache cannot be reached the limits fail open with a logged warning: reports keep being
accepted, and the database's dedupe still counts each reporter once.
"""

import contextlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from reports.identity import request_identity

if TYPE_CHECKING:
    from redis import Redis
    from redis.commands.core import Script

logger = logging.getLogger(__name__)
# The throttles' timer (seconds since the epoch); tests freeze it instead of racing the clock.
clock = time.time

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
            for rate in cast(str, settings.TREMOR[setting]).split(",")
            if rate.strip()
        ]
    return found


def _idents(request: HttpRequest, now: float, service_id: int | None) -> dict[str, str]:
    identity = request_identity(request, datetime.fromtimestamp(now, UTC).date())
    # A person may report several services at once (a provider-wide outage): the reporter's
    # limit is per service; the network's, against floods, is over all of them.
    reporter = (
        identity.reporter_key if service_id is None else f"{identity.reporter_key}:{service_id}"
    )
    return {"reporter": reporter, "network": identity.network_key}


def _keys(window: Window, ident: str, now: float) -> tuple[str, str, float]:
    """The current and previous fixed windows' keys, and the share of the previous one that the
    sliding window still covers."""
    index, into = divmod(now, window.seconds)
    base = f"throttle:{window.name}:{ident}"
    return f"{base}:{int(index)}", f"{base}:{int(index) - 1}", 1.0 - into / window.seconds


# KEYS: current and previous key of each window; ARGV: ttl, limit and the share of the previous
# window still covered, per window. Counts the request in every window and, if any window is
# over its limit, takes it back out of all. Returns 1 for each window that refuses.
_SCRIPT = """
local refused, any = {}, false
for w = 1, #KEYS / 2 do
    local current = redis.call('INCR', KEYS[2 * w - 1])
    if current == 1 then redis.call('EXPIRE', KEYS[2 * w - 1], ARGV[3 * w - 2]) end
    local previous = tonumber(redis.call('GET', KEYS[2 * w]) or '0')
    refused[w] = 0
    if current + previous * tonumber(ARGV[3 * w]) > tonumber(ARGV[3 * w - 1]) then
        refused[w], any = 1, true
    end
end
if any then
    for w = 1, #KEYS / 2 do redis.call('DECR', KEYS[2 * w - 1]) end
end
return refused
"""
_script: "Script | None" = None


def _refusals_redis(cache: RedisCache, plan: list[tuple[Window, str, str, float]]) -> list[bool]:
    """One EVALSHA (EVAL once after Redis restarts) for every window of a request."""
    global _script
    # The cache backend keeps its clients (config/cache.py), so this builds nothing.
    # RedisCache._cache (its RedisCacheClient) is private, so not in the stubs.
    client: Redis = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    if _script is None:
        _script = client.register_script(_SCRIPT)
    keys: list[str] = []
    args: list[int | str] = []
    for window, current, previous, covered in plan:
        keys += [cache.make_key(current), cache.make_key(previous)]
        args += [2 * window.seconds, window.limit, f"{covered:.6f}"]
    return [bool(flag) for flag in _script(keys=keys, args=args, client=client)]


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


def _refusals_other(cache, plan: list[tuple[Window, str, str, float]]) -> list[bool]:
    counted = [(current, previous, 2 * w.seconds) for w, current, previous, _ in plan]
    counts = _count_other(cache, counted)
    refused = [
        current + previous * covered > window.limit
        for (window, _, _, covered), (current, previous) in zip(plan, counts, strict=True)
    ]
    if any(refused):
        try:
            _uncount_other(cache, [current for _, current, _, _ in plan])
        except Exception as error:
            logger.warning("a refused submission could not be taken back out: %s", error)
    return refused


def check_reporter_throttle(request: HttpRequest, service_id: int | None = None) -> float | None:
    """None when the report may be stored; otherwise the seconds to wait before the next one.

    Call it only for a valid report (a refused or malformed request must not use up anyone's
    allowance); `service_id` makes the reporter's windows that service's alone."""
    configured = windows()
    if not configured:
        return None
    now = clock()
    idents = _idents(request, now, service_id)
    plan = [(w, *_keys(w, idents[w.identity], now)) for w in configured]
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            refused = _refusals_redis(cache, plan)
        else:
            refused = _refusals_other(cache, plan)
    except Exception as error:  # the cache is down or misbehaving: fail open
        logger.warning("submission throttles skipped, the cache failed: %s", error)
        return None
    # Until the current fixed window ends, at the least.
    waits = [
        max(1.0, window.seconds - now % window.seconds)
        for (window, *_), no in zip(plan, refused, strict=True)
        if no
    ]
    return math.ceil(max(waits)) if waits else None
