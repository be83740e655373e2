"""Per-reporter rate limit shared by the API and the HTML form (DRF's cache-backed throttle)."""

from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from reports.identity import client_address, reporter_key, ua_family


class ReporterRateThrottle(SimpleRateThrottle):
    scope = "reporter"

    def get_rate(self) -> str:
        # Read at request time (not import time) so operators and tests can change it.
        return settings.TREMOR["REPORT_THROTTLE_RATE"]

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        day = datetime.fromtimestamp(self.timer(), UTC).date()
        family = ua_family(request.META.get("HTTP_USER_AGENT", ""))
        key = reporter_key(client_address(request), family, day)
        return self.cache_format % {"scope": self.scope, "ident": key}


def check_reporter_throttle(request: HttpRequest) -> float | None:
    """None when the request may go on; otherwise the seconds to wait before the next attempt."""
    throttle = ReporterRateThrottle()
    if throttle.allow_request(request, None):
        return None
    return throttle.wait() or 1.0
