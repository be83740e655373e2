"""Write paths with rules: submitting a report."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from config.metrics import count_report
from reports.geo import country_for_address
from reports.group_commit import GroupCommit
from reports.identity import key_before_midnight, request_identity
from reports.models import Comment, ProblemType, Report, Service
from reports.moderation import hold_reason, without_invisible_controls


@dataclass(frozen=True)
class Reporter:
    """What the submission path knows about the person reporting (never their address)."""

    key: str
    ua_family: str
    country: str
    region: str = ""
    network_key: str = ""
    # Just after midnight UTC, the key this person had yesterday: the dedupe window reaches back
    # across the day's change of salt ("" the rest of the day).
    earlier_key: str = ""


def reporter_from_request(
    request: HttpRequest, *, now: datetime, country: str = "", region: str = ""
) -> Reporter:
    """Identify the reporter; a location the client sends wins over the geo-IP guess."""
    identity = request_identity(request, now.date())
    window = timedelta(minutes=cast(int, settings.TREMOR["DEDUPE_MINUTES"]))
    return Reporter(
        key=identity.reporter_key,
        earlier_key=key_before_midnight(identity, now, window),
        network_key=identity.network_key,
        ua_family=identity.ua_family,
        country=country or country_for_address(identity.address),
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
    body = without_invisible_controls(comment).strip()
    return Pending(
        service=service,
        problem=problem,
        reporter=reporter,
        now=now or timezone.now(),
        comment=body,
        comment_held=_why_held(body, reporter.key, honeypot),
        simulated=simulated,
        honeypot=honeypot,
        seconds_to_submit=seconds_to_submit,
    )


def _why_held(body: str, reporter_key: str, honeypot: bool) -> str:
    """Why a comment is not shown at once ("" for none)."""
    if not body:
        return ""
    if honeypot:
        return "the form's hidden trap field was filled in"
    return hold_reason(body, reporter_key)


def _comment_status(pending: Pending) -> str:
    # A bot that filled the trap field wrote the comment too: never shown, kept for moderators.
    if pending.honeypot:
        return Comment.Status.SPAM
    return Comment.Status.PENDING if pending.comment_held else Comment.Status.VISIBLE


def submit_report(**fields) -> Submission:
    """Store one report (the fields of `pending_report`); it counts unless this reporter
    already counted for the service recently."""
    return store_reports([pending_report(**fields)])[0]


def store_reports(batch: list[Pending]) -> list[Submission]:
    """Store reports (and their comments) in one round trip and one transaction: all or none.

    A report counts unless its reporter already counted for the service within DEDUPE_MINUTES.
    Transaction-scoped advisory locks on (service, reporter), taken in one order by every
    writer, make two simultaneous presses by the same person count once without serialising
    anyone else. The locks and the insert go to PostgreSQL as one message of two statements,
    which it runs as one transaction; the insert is a statement of its own so that it reads the
    table after the locks are held. A second press by the same reporter within one batch (a
    few milliseconds) is a duplicate. Returns one submission per report, in the batch's order.
    """
    window = timedelta(minutes=cast(int, settings.TREMOR["DEDUPE_MINUTES"]))
    first: set[tuple[int, str]] = set()
    leads = [False] * len(batch)
    for i in sorted(range(len(batch)), key=lambda i: batch[i].now):
        pair = (batch[i].service.pk, batch[i].reporter.key)
        if not batch[i].honeypot and pair not in first:
            first.add(pair)
            leads[i] = True
    columns = [
        [p.service.pk for p in batch],
        [p.problem.pk for p in batch],
        [p.now for p in batch],
        [p.reporter.key for p in batch],
        [p.reporter.earlier_key or p.reporter.key for p in batch],
        [p.reporter.network_key for p in batch],
        [p.reporter.ua_family for p in batch],
        [p.reporter.country for p in batch],
        [p.reporter.region for p in batch],
        [p.simulated for p in batch],
        [p.seconds_to_submit for p in batch],
        [p.honeypot for p in batch],
        leads,
        [p.comment for p in batch],
        [_comment_status(p) for p in batch],
        [p.comment_held for p in batch],
    ]
    pairs = sorted(first)
    with connection.cursor() as cursor:
        # Any: the stubs' SQL parameter types leave out timedelta (psycopg sends an interval).
        params: list[Any] = [[s for s, _ in pairs], [k for _, k in pairs], *columns, window]
        cursor.execute(f"{_LOCK}; {_INSERT}", params)
        cursor.nextset()  # the locks' row, then the inserted reports
        rows = cursor.fetchall()
    submissions = []
    for p, (pk, counted, reason) in zip(batch, rows, strict=True):
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
            not_counted_reason=reason,
            is_simulated=p.simulated,
            seconds_to_submit=p.seconds_to_submit,
        )
        report._state.adding = False
        count_report(counted, reason)
        submissions.append(Submission(report=report, counted=counted))
    return submissions


# A stuck lock or a stalled disk must not hold a report (and its caller) for long.
_LOCK = (
    "SELECT set_config('statement_timeout', '5s', true), count(*) FROM ("
    " SELECT pg_advisory_xact_lock(s, h) FROM (SELECT DISTINCT s, hashtext(k) AS h"
    " FROM unnest(%s::int[], %s::text[]) AS t(s, k) ORDER BY s, h) AS pairs) AS locks"
)
# The batch as rows (ids drawn here), which reporters leading their pair in the batch already
# counted within the window, the decision (counted, and why not), then the reports and comments
# inserted from it; the decision is returned in the batch's order.
_INSERT = """
WITH input AS (
    SELECT nextval(pg_get_serial_sequence('reports_report', 'id')) AS id, t.*
    FROM unnest(%s::int[], %s::int[], %s::timestamptz[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::text[], %s::text[], %s::bool[], %s::int[], %s::bool[],
                %s::bool[], %s::text[], %s::text[], %s::text[]) WITH ORDINALITY
        AS t(service_id, problem_id, created_at, reporter_key, earlier_key, network_key,
             ua_family, country, region, is_simulated, seconds_to_submit, honeypot, leads, body,
             comment_status, held_because, ord)
), seen AS (
    SELECT i.ord FROM input i
    WHERE i.leads AND EXISTS (
        SELECT 1 FROM reports_report r
        WHERE r.is_counted AND r.service_id = i.service_id
          AND r.reporter_key IN (i.reporter_key, i.earlier_key)
          AND r.created_at > i.created_at - %s::interval)
), decided AS (
    SELECT i.*, i.leads AND s.ord IS NULL AS counted,
        CASE WHEN i.honeypot THEN 'honeypot' WHEN i.leads AND s.ord IS NULL THEN ''
             ELSE 'duplicate' END AS reason
    FROM input i LEFT JOIN seen s ON s.ord = i.ord
), reports AS (
    INSERT INTO reports_report (id, service_id, problem_id, created_at, reporter_key,
        network_key, ua_family, country, region, is_counted, not_counted_reason, is_simulated,
        seconds_to_submit)
    SELECT id, service_id, problem_id, created_at, reporter_key, network_key, ua_family,
        country, region, counted, reason, is_simulated, seconds_to_submit
    FROM decided
), comments AS (
    INSERT INTO reports_comment (report_id, service_id, created_at, body, status, held_because)
    SELECT id, service_id, created_at, body, comment_status, held_because
    FROM decided WHERE body <> ''
)
SELECT id, counted, reason FROM decided ORDER BY ord
"""


# One per process: the web's threads share it, so reports that arrive together commit together.
_group_commit: GroupCommit[Pending, Submission] = GroupCommit(store_reports)


def submit_pending(pending: Pending) -> Submission:
    """Store a report in the next group commit, returning once the commit that holds it is done."""
    return _group_commit.submit(pending)
