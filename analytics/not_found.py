"""The 404: JSON under /api/; elsewhere a page of the site with a search and, for a service
address that does not exist, the closest service ("did you mean Microsoft Teams?"). An address
that exists in lower case (/services/Outlook/) is sent there instead."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from config.error_pages import is_api
from reports.models import Service

# Only these addresses name a service or something near one; a bot's probe of /wp-login.php
# costs no query.
SUGGESTING_PREFIXES = ("/services/", "/groups/", "/categories/", "/incidents/")


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _closest_service(path: str) -> Service | None:
    if not path.startswith(SUGGESTING_PREFIXES):
        return None
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2:
        return None
    text = parts[1].replace("-", " ").replace("_", " ")[:100]
    if len(text) < 3:
        return None
    return Service.objects.active().search(text).first()


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    lowered = request.path.lower()
    if request.method in ("GET", "HEAD") and lowered != request.path and _resolves(lowered):
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(lowered + (f"?{query}" if query else ""))
    context = {"suggestion": _closest_service(request.path), "path": request.path}
    return render(request, "404.html", context, status=404)
