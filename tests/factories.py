"""Helpers that build the rows tests start from, and the fixed points they share."""

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User

from analytics.models import Incident
from reports.models import Report, Service
from reports.services import Reporter, submit_report

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
ROOT = Path(__file__).resolve().parent.parent  # the project


def make_staff(name: str, role: str) -> User:
    """A staff member in one of the operator roles (console.roles)."""
    user = User.objects.create_user(name, password="a long enough password", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def make_report(
    service: Service,
    *,
    at: datetime,
    key: str = "k" * 32,
    problem: str | None = None,
    country: str = "US",
    comment: str = "",
    simulated: bool = False,
) -> Report:
    problem_type = (
        service.category.problem_types.get(slug=problem)
        if problem
        else service.category.problem_types.first()
    )
    return submit_report(
        service=service,
        problem=problem_type,
        reporter=Reporter(key=key, ua_family="Firefox", country=country),
        comment=comment,
        now=at,
        simulated=simulated,
    ).report


def make_reports(service: Service, count: int, *, at: datetime, prefix: str = "r", **kw) -> None:
    """`count` reports from distinct reporters at `at`."""
    for i in range(count):
        make_report(service, at=at, key=hashlib.md5(f"{prefix}-{i}".encode()).hexdigest(), **kw)


def make_incident(
    service: Service,
    *,
    started_at: datetime,
    reports: int,
    expected: float,
    peak_reports: int | None = None,
    ended_at: datetime | None = None,
    detected_at: datetime | None = None,
) -> Incident:
    """An incident opened on `reports` vs `expected` in one bucket (decided at its end unless
    `detected_at` says otherwise), resolved when `ended_at` is given."""
    return Incident.objects.create(
        service=service,
        status="resolved" if ended_at else "open",
        started_at=started_at,
        detected_at=detected_at or started_at + timedelta(minutes=5),
        ended_at=ended_at,
        last_active_at=ended_at or started_at,
        opened_reports=reports,
        opened_expected=expected,
        peak_at=started_at,
        peak_reports=peak_reports or reports,
        peak_expected=expected,
    )
