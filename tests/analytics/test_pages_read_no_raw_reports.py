"""The public pages and the read API read counts, never the raw reports table: a page costs the
same on the outage morning as on a quiet one, and shows nothing a report row holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import pipeline
from tests.factories import make_incident, make_report, make_reports

PATHS = [
    "/",
    "/services/outlook/",
    "/services/outlook/?comments=2",
    "/groups/microsoft-365/",
    "/categories/{category}/",
    "/incidents/{incident}/",
    "/search/?q=micro",
    "/search/?q=gmial",
    "/no-such-service/",
    "/api/v1/services",
    "/api/v1/services/outlook",
    "/api/v1/services/outlook/series",
    "/api/v1/services/outlook/series?hours=168",
    "/api/v1/incidents",
    "/api/v1/incidents/{incident}",
    "/api/v1/groups",
    "/api/v1/groups/microsoft-365",
]


@pytest.fixture
def outage(outlook, frozen_now):
    make_reports(outlook, 40, at=frozen_now)
    make_report(outlook, at=frozen_now, key="c" * 32, comment="down for me too")
    pipeline.refresh_analytics(frozen_now)
    return make_incident(
        outlook, started_at=frozen_now - timedelta(hours=3), reports=30, expected=2,
        ended_at=frozen_now - timedelta(hours=2),
    )  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_no_public_read_touches_the_reports_table(client, outlook, outage, path):
    url = path.format(category=outlook.category.slug, incident=outage.pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302, 404)
    raw = [q["sql"] for q in queries.captured_queries if "reports_report" in q["sql"]]
    assert raw == [], raw
