"""Answers for requests the views must never see: a clear 4xx instead of a 500.

PostgreSQL refuses NUL bytes in text, so a query parameter holding one (`?category=%00`) raised
DataError in the view; a JSON body nested a thousand levels deep raised RecursionError in the
parser; a body over DATA_UPLOAD_MAX_MEMORY_SIZE got Django's bare HTML 400. Under /api/ every
answer here is JSON, as the rest of the API is.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

API_PREFIX = "/api/"


def _refusal(request: HttpRequest, status: int, detail: str, **extra: object) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail, **extra}, status=status)
    return HttpResponse(detail + "\n", status=status, content_type="text/plain; charset=utf-8")


def too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _refusal(
        request, 413, f"The request body is larger than the limit of {limit} bytes.", limit=limit
    )


class RequestGuardMiddleware:
    """Refuse an oversized body (413) and a NUL byte in the path or a query parameter (400)
    before any view or query runs."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, 400, "The Content-Length header is not a number.")
        if limit is not None and length > limit:
            return too_large(request)
        if "\x00" in request.path:
            return _refusal(request, 400, "The path contains a NUL byte.")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _refusal(
                    request, 400, f"The query parameter {name!r} contains a NUL byte.", field=name
                )
        return self.get_response(request)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, with a body nested too deeply for Python refused as a parse error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's handler, plus a 413 in JSON for a body over the limit read by `request.data`
    (a chunked body carries no Content-Length for the middleware to check)."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, RequestDataTooBig):
        return too_large(context["request"])
    return exception_handler(exc, context)
