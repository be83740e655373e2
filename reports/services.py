"""Write paths with rules: submitting a report."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from reports.geo import country_for_address
from reports.group_commit import GroupCommit
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


@dataclass(frozen=True)
class Pending:
    """One report on its way to the table: validated, with its comment's review already decided."""

    service: Service
    problem: ProblemType
    reporter: Reporter
    now: datetime
    comment: str = ""
    comment_held: str = ""  # why the comment waits for review ("" shows it at once)
    simulated: bool = False
    honeypot: bool = False
    seconds_to_submit: int | None = None


def pending_report(
    *,
    service: Service,
    problem: ProblemType,
    reporter: Reporter,
    comment: str = "",
    now: datetime | None = None,
    simulated: bool = False,
    honeypot: bool = False,
    seconds_to_submit: int | None = None,
) -> Pending:
    """A report ready for `store_reports`; reads the database only to review a comment."""
    body = comment.strip()
    return Pending(
        service=service,
        problem=problem,
        reporter=reporter,
        now=now or timezone.now(),
        comment=body,
        comment_held=hold_reason(body, reporter.key) if body else "",
        simulated=simulated,
        honeypot=honeypot,
        seconds_to_submit=seconds_to_submit,
    )


def submit_report(**fields) -> Submission:
    """Store one report (the fields of `pending_report`); it counts unless this reporter
    already counted for the service recently."""
    return store_reports([pending_report(**fields)])[0]


def store_reports(batch: list[Pending]) -> list[Submission]:
    """Store reports (and their comments) in one transaction: all of them or none.

    A report counts unless its reporter already counted for the service within DEDUPE_MINUTES,
    in the table or earlier in the batch. Transaction-scoped advisory locks on (service,
    reporter), taken in one order by every writer, make two simultaneous presses by the same
    person count once without serialising anyone else. The same few statements whatever the
    batch's size, so a batch of 50 costs the database little more than one report. Returns one
    submission per pending report, in the batch's order.
    """
    window = timedelta(minutes=settings.TREMOR["DEDUPE_MINUTES"])
    order = sorted(range(len(batch)), key=lambda i: batch[i].now)
    candidates = [p for p in batch if not p.honeypot]
    submissions: list[Submission] = [None] * len(batch)  # type: ignore[list-item]
    with transaction.atomic(), connection.cursor() as cursor:
        last_counted: dict[tuple[int, str], datetime] = {}
        if candidates:
            services = [p.service.pk for p in candidates]
            keys = [p.reporter.key for p in candidates]
            # A stuck lock or a stalled disk must not hold a report (and its caller) for long.
            cursor.execute(
                "SELECT set_config('statement_timeout', '5s', true), count(*) FROM ("
                " SELECT pg_advisory_xact_lock(s, h) FROM (SELECT DISTINCT s, hashtext(k) AS h"
                " FROM unnest(%s::int[], %s::text[]) AS t(s, k) ORDER BY s, h) AS pairs) AS locks",
                [services, keys],
            )
            cursor.execute(
                "SELECT service_id, reporter_key, max(created_at) FROM reports_report"
                " WHERE is_counted AND created_at > %s AND (service_id, reporter_key) IN"
                " (SELECT * FROM unnest(%s::int[], %s::text[])) GROUP BY 1, 2",
                [min(p.now for p in candidates) - window, services, keys],
            )
            last_counted = {(s, k): at for s, k, at in cursor.fetchall()}
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('reports_report', 'id'))"
            " FROM generate_series(1, %s)",
            [len(batch)],
        )
        for (pk,), i in zip(cursor.fetchall(), order, strict=True):
            p = batch[i]
            pair = (p.service.pk, p.reporter.key)
            seen = last_counted.get(pair)
            already = seen is not None and seen > p.now - window
            counted = not (already or p.honeypot)
            if counted:
                last_counted[pair] = p.now
            report = Report(
                pk=pk,
                service=p.service,
                problem=p.problem,
                created_at=p.now,
                reporter_key=p.reporter.key,
                network_key=p.reporter.network_key,
                ua_family=p.reporter.ua_family,
                country=p.reporter.country,
                region=p.reporter.region,
                is_counted=counted,
                not_counted_reason=(
                    Report.NotCountedReason.HONEYPOT
                    if p.honeypot
                    else Report.NotCountedReason.DUPLICATE
                    if already
                    else ""
                ),
                is_simulated=p.simulated,
                seconds_to_submit=p.seconds_to_submit,
            )
            report._state.adding = False
            submissions[i] = Submission(report=report, counted=counted)
        _insert(cursor, batch, submissions)
    return submissions


def _insert(cursor, batch: list[Pending], submissions: list[Submission]) -> None:
    """The reports, then their comments, each as one INSERT of arrays."""
    reports = [s.report for s in submissions]
    cursor.execute(
        "INSERT INTO reports_report (id, service_id, problem_id, created_at, reporter_key,"
        " network_key, ua_family, country, region, is_counted, not_counted_reason,"
        " is_simulated, seconds_to_submit) SELECT * FROM unnest(%s::bigint[], %s::int[],"
        " %s::int[], %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[],"
        " %s::text[], %s::bool[], %s::text[], %s::bool[], %s::int[])",
        [
            [r.pk for r in reports],
            [r.service_id for r in reports],
            [r.problem_id for r in reports],
            [r.created_at for r in reports],
            [r.reporter_key for r in reports],
            [r.network_key for r in reports],
            [r.ua_family for r in reports],
            [r.country for r in reports],
            [r.region for r in reports],
            [r.is_counted for r in reports],
            [r.not_counted_reason for r in reports],
            [r.is_simulated for r in reports],
            [r.seconds_to_submit for r in reports],
        ],
    )
    with_comment = [(p, r) for p, r in zip(batch, reports, strict=True) if p.comment]
    if not with_comment:
        return
    cursor.execute(
        "INSERT INTO reports_comment (report_id, service_id, created_at, body, status,"
        " held_because) SELECT * FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[],"
        " %s::text[], %s::text[], %s::text[])",
        [
            [r.pk for _, r in with_comment],
            [r.service_id for _, r in with_comment],
            [r.created_at for _, r in with_comment],
            [p.comment for p, _ in with_comment],
            [
                Comment.Status.PENDING if p.comment_held else Comment.Status.VISIBLE
                for p, _ in with_comment
            ],
            [p.comment_held for p, _ in with_comment],
        ],
    )


# One per process: the web's threads share it, so reports that arrive together commit together.
_group_commit: GroupCommit[Pending, Submission] = GroupCommit(store_reports)


def submit_pending(pending: Pending) -> Submission:
    """Store a report in the next group commit, returning once the commit that holds it is done."""
    return _group_commit.submit(pending)
