"""Who is reporting, without knowing who they are.

The client address is read from the socket unless TRUSTED_PROXY_COUNT proxies are configured; it
is combined with the browser family into an HMAC under a secret that rotates every UTC day. The
address itself is never stored or logged.
"""

import functools
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from datetime import date
from typing import cast

from django.conf import settings
from django.http import HttpRequest

# First match wins: order matters (Edge and Opera also say "Chrome", Chrome also says "Safari").
_UA_FAMILIES = [
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
    ("curl", re.compile(r"^curl/")),
    ("Python", re.compile(r"python-requests|python-httpx|Python-urllib|aiohttp", re.I)),
    ("Bot", re.compile(r"bot|crawler|spider", re.I)),
]


def ua_family(user_agent: str) -> str:
    """The browser family of a User-Agent string, without version ("Firefox", "Other")."""
    if not user_agent:
        return "None"
    for family, pattern in _UA_FAMILIES:
        if pattern.search(user_agent):
            return family
    return "Other"


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client as seen by the outermost trusted proxy (or by the socket)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"
    trusted = cast(int, settings.TREMOR["TRUSTED_PROXY_COUNT"])
    if trusted <= 0:
        return remote
    # Each trusted proxy appends the address it saw; anything left of those is client-controlled.
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    hops.append(remote)
    index = max(len(hops) - 1 - trusted, 0)
    return _valid_ip(hops[index]) or remote


def daily_secret(day: date) -> bytes:
    """The HMAC key for one UTC day, derived from SECRET_KEY (so nothing extra to store)."""
    return _daily_secret(settings.SECRET_KEY, day)


@functools.lru_cache(maxsize=8)
def _daily_secret(secret_key: str, day: date) -> bytes:
    return hmac.new(
        secret_key.encode(), f"tremor-reporter:{day.isoformat()}".encode(), hashlib.sha256
    ).digest()


def network_prefix(address: str) -> str:
    """The address's network: its /24 for IPv4, its /48 for IPv6 (one household, office or
    small provider block), as text."""
    ip = ipaddress.ip_address(address)
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def network_key(address: str, day: date) -> str:
    """Like reporter_key, for the address's network prefix (throttling; never stored)."""
    return reporter_key(network_prefix(address), "network", day)


def reporter_key(address: str, family: str, day: date) -> str:
    """32 hex characters identifying (address, browser family) for one day only."""
    message = f"{address}|{family}".encode()
    return hmac.new(daily_secret(day), message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Identity:
    """A request's reporter and network keys for one day (the address stays in memory only)."""

    address: str
    ua_family: str
    reporter_key: str
    network_key: str


def request_identity(request: HttpRequest, day: date) -> Identity:
    """The identity of a request's sender, worked out once per request (the throttles and the
    report both need it)."""
    cached = getattr(request, "_tremor_identity", None)
    if cached is not None and cached[0] == day:
        return cached[1]
    address = client_address(request)
    family = ua_family(request.META.get("HTTP_USER_AGENT", ""))
    identity = Identity(
        address, family, reporter_key(address, family, day), network_key(address, day)
    )
    # A memo on the request itself, which takes new attributes (the stubs declare none).
    request._tremor_identity = (day, identity)  # type: ignore[attr-defined]
    return identity
