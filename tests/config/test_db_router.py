"""Public reads go to the replica when one is configured; everything else stays on the primary."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from config.db_router import ReplicaReadsMiddleware, ReplicaRouter
from reports.models import Service


@pytest.fixture
def replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}


def read_target(method: str, path: str) -> str | None:
    seen = []

    def view(request):
        seen.append(ReplicaRouter().db_for_read(Service))
        with transaction.atomic():
            seen.append(ReplicaRouter().db_for_read(Service))

    ReplicaReadsMiddleware(view)(RequestFactory().generic(method, path))
    return seen


def test_a_visitors_page_reads_from_the_replica_and_a_transaction_from_the_primary(
    transactional_db, replica
):
    assert read_target("GET", "/services/outlook/") == ["replica", None]
    assert read_target("HEAD", "/api/v1/services/outlook/series") == ["replica", None]


def test_posts_and_the_console_read_from_the_primary(db, replica):
    assert read_target("POST", "/services/outlook/report") == [None, None]
    assert read_target("GET", "/admin/reports/report/") == [None, None]


def test_without_a_replica_everything_reads_from_the_primary(db):
    assert read_target("GET", "/services/outlook/") == [None, None]
    # Outside a request (the worker, commands) the router never picks the replica.
    assert ReplicaRouter().db_for_read(Service) is None
    assert ReplicaRouter().db_for_write(Service) == "default"
    assert ReplicaRouter().allow_migrate("replica", "reports") is False
