"""Incidents for the console's tests, opened by the detector itself."""

from datetime import timedelta

import pytest

from analytics import pipeline
from analytics.models import Baseline, Incident, ServiceStatus
from reports.models import Report
from tests.factories import NOON, make_report


def open_incident(service, from_one_network: int) -> Incident:
    """An incident on 40 reporters, `from_one_network` of them from one network."""
    Baseline.objects.create(service=service, expected=[3.0] * 2016, updated_at=NOON)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    for i in range(40):
        make_report(service, at=NOON + timedelta(minutes=1), key=f"{i:032x}")
    for i, report in enumerate(Report.objects.all()):
        report.network_key = "n" * 32 if i < from_one_network else f"{i:032x}"
        report.save(update_fields=["network_key"])
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    return Incident.objects.get()


@pytest.fixture
def fake_outage(outlook, frozen_now):
    """An open incident that the detector does not hold by itself (18 of 40 from one network)."""
    incident = open_incident(outlook, 18)
    assert ServiceStatus.objects.get(service=outlook).level == 2
    return incident


@pytest.fixture
def flood(outlook, frozen_now):
    """An incident held for review: 30 of its 40 reports came from one network."""
    incident = open_incident(outlook, 30)
    assert incident.review == "held"
    return incident
