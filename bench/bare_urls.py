"""The yardsticks: a bare Django JSON view, and one that does a single autocommit INSERT."""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as tremor_urlpatterns


@csrf_exempt
def bare_json(request: HttpRequest) -> JsonResponse:
    """What the framework costs: parse the body, answer JSON, touch nothing else."""
    body = json.loads(request.body or b"{}")
    return JsonResponse({"ok": True, "problem": body.get("problem", "")}, status=201)


@csrf_exempt
def bare_insert(request: HttpRequest) -> JsonResponse:
    """The same plus one autocommit INSERT: the cost of a synchronous write per request."""
    body = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare_insert (problem) VALUES (%s) RETURNING id",
            [body.get("problem", "")],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [
    path("bench/bare-json", bare_json),
    path("bench/bare-insert", bare_insert),
    *tremor_urlpatterns,
]
