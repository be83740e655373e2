"""Reads of public pages from a PostgreSQL streaming replica, when DATABASE_REPLICA_URL is set.

Only what a visitor's GET reads goes there (ReplicaReadsMiddleware marks those requests): the
pages and read API, which may lag the primary by the replica's delay, as they already lag the
analytics run. Writes, transactions, the operators' console, the worker and every command stay
on the primary, so nothing reads its own write from a replica that has not seen it yet.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

_visitor_read: ContextVar[bool] = ContextVar("tremor_visitor_read", default=False)
# Paths whose GETs write or must see the latest writes: the console and its sign-in.
PRIMARY_ONLY_PREFIXES = ("/admin/",)


@contextmanager
def primary_reads():
    """Reads inside go to the primary: what is cached per analytics run is rendered from the
    database the run was committed to, not from a replica that may not have replayed it."""
    token = _visitor_read.set(False)
    try:
        yield
    finally:
        _visitor_read.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _visitor_read.get() or "replica" not in settings.DATABASES:
            return None
        if connections["default"].in_atomic_block:
            return None  # a transaction on the primary reads what it wrote
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, copied

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replica = request.method in ("GET", "HEAD") and not request.path.startswith(
            PRIMARY_ONLY_PREFIXES
        )
        token = _visitor_read.set(replica)
        try:
            return self.get_response(request)
        finally:
            _visitor_read.reset(token)
