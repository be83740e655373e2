"""The API fuzzed against its own OpenAPI schema: bounded, so it runs in every `make test` and
therefore in CI. Each operation gets generated paths, queries and bodies (NUL bytes, huge
numbers, deep objects, wrong types) and must never answer a server error, nor a status its
schema does not declare."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

EXAMPLES_PER_OPERATION = 50


@pytest.fixture
def api_schema(catalog):
    from config.wsgi import application

    # As Django's test client does: a request's end must not close the test's connection
    # (its transaction holds the catalogue and is rolled back after the test).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.from_wsgi("/api/schema/", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error_or_an_undeclared_status(case):
    response = case.call_wsgi()
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance))
