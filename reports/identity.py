"""Who is reporting, without knowing who they are.

The client address is the socket's peer, or, when that peer is one of TRUSTED_PROXIES, the
address its X-Forwarded-For names (walked from the right past every trusted hop). It is combined
with the browser family into an HMAC under a random salt of the UTC day (reports.salts), destroyed
after the day. The address itself is never stored or logged.
"""

import functools
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.http import HttpRequest

from reports.salts import salt_for

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

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


@functools.lru_cache(maxsize=4)
def trusted_networks(networks: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The TRUSTED_PROXIES setting as networks (checked when the settings load)."""
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip())


def _trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address: the socket's peer, unless the peer is a trusted proxy; then the
    rightmost X-Forwarded-For hop that is not itself a trusted proxy.

    Each proxy appends the address it saw, so only hops right of the first untrusted one were
    written by proxies; whatever a client puts further left is its own invention and is never
    read. A hop that is not an address stops the walk at the proxy that passed it on.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"
    networks = trusted_networks(tuple(settings.TREMOR.get("TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote, networks):
        return remote
    address = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        ip = _valid_ip(hop)
        if ip is None:
            break
        address = ip
        if not _trusted(ip, networks):
            break
    return address


def daily_secret(day: date) -> bytes:
    """The HMAC key for one UTC day: that day's random salt."""
    return salt_for(day)


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


def key_before_midnight(identity: "Identity", now: datetime, window: timedelta) -> str:
    """Within `window` after midnight UTC, the reporter key the same sender had the day before
    (whose salt lives until the window has passed); otherwise ""."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time.min, UTC)
    if now - midnight >= window:
        return ""
    return reporter_key(identity.address, identity.ua_family, midnight.date() - timedelta(days=1))


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
