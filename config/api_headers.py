"""The read API made to be used from elsewhere: any site may read it from a browser (CORS on
GET and HEAD, never on the report endpoint's POST), and every answer can be cached briefly and
revalidated by its ETag.

Writes stay same-origin on purpose: a report counts one person, and letting any site's script
post them would let one page turn its visitors into a flood.
"""

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag

READS = {"GET", "HEAD"}
# As long as a page's data lasts: the per-minute job renews it (analytics.page_cache).
MAX_AGE = 30
PREFLIGHT_MAX_AGE = 86400


def _cors(response) -> None:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Retry-After"


class ApiReadHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.method == "OPTIONS" and "HTTP_ORIGIN" in request.META:
            wanted = request.META.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "")
            if wanted in READS:  # a preflight for a read (If-None-Match is not a simple header)
                return self._preflight()
        response = self.get_response(request)
        if request.method not in READS:
            return response
        _cors(response)
        if response.status_code != 200 or response.streaming:
            return response
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, public=True, max_age=MAX_AGE)
        if not response.has_header("ETag"):
            set_response_etag(response)
            return (
                get_conditional_response(request, etag=response["ETag"], response=response)
                or response
            )
        return response

    @staticmethod
    def _preflight() -> HttpResponse:
        response = HttpResponse(status=204)
        _cors(response)
        response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response["Access-Control-Allow-Headers"] = "If-None-Match, Accept"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
