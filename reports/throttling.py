"""Submission rate limits shared by the API and the HTML form (DRF's cache-backed throttles).

Two identities, each over several windows: the reporter (address + browser family, as counted)
and the reporter's network (/24 or /48), so a script cycling user agents or addresses within one
network runs into the second. Cache keys hold HMACs, never addresses.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from reports.identity import client_address, network_key, reporter_key, ua_family


class WindowThrottle(SimpleRateThrottle):
    """One rate ("10/min") for one identity ("reporter" or "network")."""

    def __init__(self, identity: str, rate: str) -> None:
        self.identity = identity
        self.rate = rate
        self.scope = f"{identity}-{rate}"
        super().__init__()

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        day = datetime.fromtimestamp(self.timer(), UTC).date()
        address = client_address(request)
        if self.identity == "network":
            ident = network_key(address, day)
        else:
            ident = reporter_key(address, ua_family(request.META.get("HTTP_USER_AGENT", "")), day)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _rates(setting: str) -> list[str]:
    return [rate.strip() for rate in settings.TREMOR[setting].split(",") if rate.strip()]


def submission_throttles() -> list[WindowThrottle]:
    """Every configured window, read at request time so operators and tests can change them."""
    return [WindowThrottle("reporter", rate) for rate in _rates("REPORT_THROTTLE_RATE")] + [
        WindowThrottle("network", rate) for rate in _rates("NETWORK_THROTTLE_RATE")
    ]


def check_reporter_throttle(request: HttpRequest) -> float | None:
    """None when the request may go on; otherwise the seconds to wait before the next attempt."""
    waits = [
        throttle.wait() or 1.0
        for throttle in submission_throttles()
        if not throttle.allow_request(request, None)
    ]
    return max(waits) if waits else None
