"""Write paths with rules: submitting a report."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from reports.geo import country_for_address
from reports.identity import client_address, network_key, reporter_key, ua_family
from reports.models import Comment, ProblemType, Report, Service
from reports.moderation import hold_reason


@dataclass(frozen=True)
class Reporter:
    """What the submission path knows about the person reporting (never their address)."""

    key: str
    ua_family: str
    country: str
    region: str = ""
    network_key: str = ""


def reporter_from_request(
    request: HttpRequest, *, now: datetime, country: str = "", region: str = ""
) -> Reporter:
    """Identify the reporter; a location the client sends wins over the geo-IP guess."""
    address = client_address(request)
    family = ua_family(request.META.get("HTTP_USER_AGENT", ""))
    return Reporter(
        key=reporter_key(address, family, now.date()),
        network_key=network_key(address, now.date()),
        ua_family=family,
        country=country or country_for_address(address),
        region=region if country else "",
    )


@dataclass(frozen=True)
class Submission:
    report: Report
    counted: bool


def submit_report(
    *,
    service: Service,
    problem: ProblemType,
    reporter: Reporter,
    comment: str = "",
    now: datetime | None = None,
    simulated: bool = False,
    honeypot: bool = False,
    seconds_to_submit: int | None = None,
) -> Submission:
    """Store one report; it counts unless this reporter already counted for the service recently.

    Runs in one transaction: either the report (and its comment) is stored or nothing is. A
    transaction-scoped advisory lock on (service, reporter) makes two simultaneous presses by the
    same person count once without serialising anyone else.
    """
    now = now or timezone.now()
    window = timedelta(minutes=settings.TREMOR["DEDUPE_MINUTES"])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [service.pk, reporter.key]
            )
        already = (
            Report.objects.counted()
            .filter(service=service, reporter_key=reporter.key, created_at__gt=now - window)
            .exists()
        )
        report = Report.objects.create(
            service=service,
            problem=problem,
            created_at=now,
            reporter_key=reporter.key,
            network_key=reporter.network_key,
            ua_family=reporter.ua_family,
            country=reporter.country,
            region=reporter.region,
            is_counted=not (already or honeypot),
            not_counted_reason=(
                Report.NotCountedReason.HONEYPOT
                if honeypot
                else Report.NotCountedReason.DUPLICATE
                if already
                else ""
            ),
            is_simulated=simulated,
            seconds_to_submit=seconds_to_submit,
        )
        if comment.strip():
            body = comment.strip()
            held = hold_reason(body, reporter.key)
            Comment.objects.create(
                report=report,
                service=service,
                created_at=now,
                body=body,
                status=Comment.Status.PENDING if held else Comment.Status.VISIBLE,
                held_because=held,
            )
    return Submission(report=report, counted=not (already or honeypot))
