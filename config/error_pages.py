"""The site's own pages for a refused request: 400, 403, a failed CSRF check, 405 and 500 look
like the rest of Tremor (and load only its own stylesheet, so they work under the
Content-Security-Policy); under /api/ each is JSON, as the rest of the API is. The 404, which
suggests a service, lives in analytics.not_found."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": text}, status=status)
    context = {"status": status, "title": title, "text": text}
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, 403, "Not allowed", "You may not open this page.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its token (cookies off, or a page left open across a deploy)."""
    return _page(
        request,
        403,
        "The form had expired",
        "The form was sent without a valid security token, so nothing was stored. This happens "
        "when cookies are blocked or the page was open for a long time: reload the page and "
        "send it again.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context processors or the database: whatever failed may be
    what they need."""
    if is_api(request):
        return JsonResponse({"detail": "Server error; nothing was changed by it."}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)


class NotAllowedPageMiddleware:
    """Django's 405 (a GET to a form's POST address, say) has an empty body: give it a page that
    says what happened and keeps the Allow header. DRF's own 405s under /api/ are JSON already."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or is_api(request) or response.content:
            return response
        allowed = response.get("Allow", "")
        page = _page(
            request,
            405,
            "Not this way",
            f"This address does not answer {request.method} requests"
            + (f"; it answers {allowed}." if allowed else "."),
        )
        if allowed:
            page["Allow"] = allowed
        return page
