"""No table holds a client address, whatever path the reports took."""

import json

from django.db import connection
from django.utils import timezone

from analytics import pipeline
from reports.models import Report
from tests.factories import ROOT

ADDRESSES = [f"198.51.100.{i}" for i in range(1, 40)] + [f"2001:db8:7::{i:x}" for i in range(1, 20)]


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'inet', 'cidr')"
        )
        return cursor.fetchall()


def test_no_table_contains_an_address_after_reports_from_many(client, outlook, settings):
    settings.TREMOR = {**settings.TREMOR, "TRUSTED_PROXIES": ["10.0.0.0/8"]}
    for i, address in enumerate(ADDRESSES):
        body = {"problem": "login", "comment": f"down here {i}"}
        if i % 2:
            client.post(
                "/api/v1/services/outlook/reports",
                json.dumps(body),
                content_type="application/json",
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=address,
            )
        else:
            client.post("/services/outlook/report", body, REMOTE_ADDR=address)
        if i < 5:  # failed sign-ins are counted per address (hashing makes each one slow)
            client.post("/admin/login/", {"username": "x", "password": "y"}, REMOTE_ADDR=address)
    pipeline.refresh_analytics(timezone.now())
    columns = text_columns()
    assert ("reports_report", "reporter_key") in columns and len(columns) > 20
    found = []
    with connection.cursor() as cursor:
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')
            values = [row[0] for row in cursor.fetchall()]
            for address in ADDRESSES + ["10.0.0.1"]:
                if any(address in value for value in values):
                    found.append(f"{table}.{column}: {address}")
    assert found == []
    assert Report.objects.count() == len(ADDRESSES)  # every report did arrive


def test_the_production_access_log_leaves_out_client_addresses():

    from config import gunicorn

    root = ROOT
    assert "%(h)s" not in gunicorn.access_log_format
    assert "forwarded" not in gunicorn.access_log_format.lower()
    for path in ("compose.yaml", "Dockerfile"):
        text = (root / path).read_text()
        assert "config/gunicorn.py" in text and "--access-logfile" not in text, path
