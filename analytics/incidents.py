"""What happens to incident rows once the detector has advanced them.

The state machine (analytics.detector) opens, advances and resolves incidents; the pipeline
writes its states. The rules here act on those rows afterwards: holds for scheduled maintenance
and for floods (reports concentrated on one network or browser), the public level a held or
open incident gives its service, the countries behind an incident's excess, group incidents,
and, after a quarantine, withdrawing the incidents its reports opened (and restoring them on
release).
"""

import dataclasses
import logging
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from analytics.concentration import concentration_reasons, dominant_networks
from analytics.detector import DEFAULTS, IncidentState, Level, Status, Tracker
from analytics.detector.baselines import slot_of_week
from analytics.detector.replay import judge_series, replay
from analytics.detector.windows import NOISE_PRIOR
from analytics.models import (
    Baseline,
    DetectorTuning,
    GroupIncident,
    Incident,
    MaintenanceWindow,
    ServiceBucket,
    ServiceStatus,
)
from analytics.page_cache import note_analytics_run
from analytics.regions import excess_by_country
from analytics.timeutils import bucket_width, floor_bucket
from reports.models import Comment, Quarantine, Report

logger = logging.getLogger(__name__)


# --- Holds and the public level ---------------------------------------------------------------
def hold_for_review(now: datetime) -> set[int]:
    """Hold the young unresolved incidents that opened during a suppressing maintenance window
    or whose reports look like a flood (analytics.concentration), judged during their first
    hour. Returns the services whose unresolved incident is held now (by this pass, an earlier
    one or a moderator): their public level is at most "possible problems"."""
    unresolved = {i.service_id: i for i in Incident.objects.unresolved().exclude(review="cleared")}
    suppressing = {
        (w.service_id, w.start, w.end)
        for w in MaintenanceWindow.objects.filter(
            suppress=True, service_id__in=unresolved, end__gt=now - timedelta(days=1)
        )
    }
    young = [
        i
        for i in unresolved.values()
        if i.review == "" and now - i.detected_at <= timedelta(hours=1)
    ]
    floods = concentration_reasons(young, now)
    for incident in young:
        in_maintenance = any(
            sid == incident.service_id and start <= incident.detected_at < end
            for sid, start, end in suppressing
        )
        reason = "it opened during scheduled maintenance" if in_maintenance else ""
        if reason := reason or floods.get(incident.pk, ""):
            incident.review, incident.review_reason = Incident.Review.HELD, reason
            incident.save(update_fields=["review", "review_reason"])
            logger.warning("incident %s held for review: %s", incident.pk, reason)
    return {sid for sid, i in unresolved.items() if i.review == Incident.Review.HELD}


def hold_senders_comments(now: datetime) -> int:
    """While an incident is held, the comments sent from its dominant networks since reports
    began rising wait for review: a flood's comments are part of the flood. Run by each pass,
    so a comment of such a network is shown for at most a minute. Returns how many changed."""
    changed = 0
    for incident in Incident.objects.unresolved().filter(review=Incident.Review.HELD):
        networks = dominant_networks(incident, now)
        if not networks:
            continue
        senders = Report.objects.filter(
            service_id=incident.service_id,
            created_at__gte=incident.started_at,
            network_key__in=networks,
        )
        changed += Comment.objects.filter(
            service_id=incident.service_id,
            created_at__gte=incident.started_at,
            status=Comment.Status.VISIBLE,
            report_id__in=senders.values("id"),
        ).update(
            status=Comment.Status.PENDING,
            held_because=f"its network's reports hold incident {incident.pk} for review",
        )
    return changed


def public_level(quiet: int, state: IncidentState | Incident | None, held: bool) -> int:
    """The one place that decides what the public sees for a service.

    `quiet` is the level of the service's last judged buckets without an incident (amber at
    most); an open incident shows red, a recovering one amber; a held incident (maintenance,
    a suspected flood, a moderator's hold) shows amber at most until a moderator clears it."""
    level = quiet
    if state is not None and state.status == Status.OPEN:
        level = int(Level.PROBLEMS)
    elif state is not None and state.status == Status.RECOVERING:
        level = int(Level.POSSIBLE)
    if held:
        level = min(level, int(Level.POSSIBLE))
    return level


def incident_public_level(incident: Incident) -> int:
    """The level an incident gives its service now, by the same rule (a resolved or withdrawn
    one: none); what the read API shows a client, so a held incident is never "problems" there
    either."""
    if incident.review == Incident.Review.WITHDRAWN:
        return int(Level.OK)
    return public_level(int(Level.OK), incident, held=incident.review == Incident.Review.HELD)


def withdrawn_services() -> set[int]:
    """The services whose unresolved incident is withdrawn: it gives them no level."""
    return set(
        Incident.objects.unresolved()
        .filter(review=Incident.Review.WITHDRAWN)
        .values_list("service_id", flat=True)
    )


def level_since(
    level: int,
    state: IncidentState | None,
    previous: tuple[int, datetime | None] | None,
    now: datetime,
) -> datetime:
    """When the public level began: kept while the level stays; on a change to red, when the
    detector decided the incident; on any other change, now."""
    if previous is not None and previous[1] is not None and previous[0] == level:
        return previous[1]
    if level == Level.PROBLEMS and state is not None:
        return state.detected_at
    return now


# --- Countries and groups ---------------------------------------------------------------------
def _country_totals(incidents: list[Incident], since: str, until: str, end: datetime) -> dict:
    """{incident id: {country: reports}} over each incident's own window, in one query.
    `since` and `until` are SQL expressions of the incident `i` and the end `%(end)s`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, c.country, sum(c.reports) FROM analytics_incident i "
            "JOIN analytics_countrybucket c ON c.service_id = i.service_id "
            f"AND c.start >= {since} AND c.start < {until} "
            "WHERE i.id = ANY(%(ids)s) GROUP BY 1, 2",
            {"ids": [i.pk for i in incidents], "end": end},
        )
        totals: dict[int, dict[str, int]] = {}
        for incident_id, country, reports in cursor.fetchall():
            totals.setdefault(incident_id, {})[country] = int(reports)
    return totals


def update_countries(now: datetime) -> None:
    """Name the countries behind each unresolved incident's excess (few rows: incidents only;
    two queries for all of them)."""
    width = bucket_width()
    per_week = int(timedelta(weeks=1) / width)
    end = floor_bucket(now, width) + width
    incidents = list(Incident.objects.unresolved().select_related("service__baseline"))
    if not incidents:
        return
    observed = _country_totals(incidents, "i.started_at", "%(end)s", end)
    normal = _country_totals(incidents, "i.started_at - interval '7 days'", "i.started_at", end)
    for incident in incidents:
        before = normal.get(incident.pk, {})
        normal_total = sum(before.values())
        shares = {c: n / normal_total for c, n in before.items()} if normal_total else {}
        baseline = getattr(incident.service, "baseline", None)
        buckets = int((end - incident.started_at) / width)
        first = slot_of_week(incident.started_at, width)
        expected = (
            sum(baseline.expected[(first + i) % per_week] for i in range(buckets))
            if baseline
            else 0.0
        )
        countries = [
            dataclasses.asdict(c)
            for c in excess_by_country(observed.get(incident.pk, {}), shares, expected)
        ]
        if countries != incident.countries:
            incident.countries = countries
            incident.save(update_fields=["countries"])


def link_group_incidents(now: datetime) -> None:
    """Open a group incident when two or more services of a group are in incident together,
    link their incidents to it, and close it when none of them is unresolved any more."""
    unresolved = list(
        Incident.objects.unresolved()
        .shown()
        .filter(service__group__isnull=False)
        .select_related("service")
    )
    by_group: dict[int, list[Incident]] = {}
    for incident in unresolved:
        by_group.setdefault(incident.service.group_id, []).append(incident)
    open_groups = {g.group_id: g for g in GroupIncident.objects.filter(ended_at__isnull=True)}
    for group_id, incidents in by_group.items():
        group_incident = open_groups.get(group_id)
        if group_incident is None and len(incidents) < 2:
            continue
        if group_incident is None:
            group_incident = GroupIncident.objects.create(
                group_id=group_id, started_at=min(i.started_at for i in incidents)
            )
        for incident in incidents:
            if incident.group_incident_id != group_incident.pk:
                incident.group_incident = group_incident
                incident.save(update_fields=["group_incident"])
    for group_id, group_incident in open_groups.items():
        if group_id not in by_group:
            last = group_incident.incidents.order_by("-ended_at").values_list("ended_at", flat=True)
            group_incident.ended_at = last.first() or now
            group_incident.save(update_fields=["ended_at"])


# --- Withdrawing: a moderator's false alarm, or the reports behind it quarantined ---------------
WITHDRAWN_AS_FALSE_ALARM = "a moderator found that the reports did not come from an outage"
WITHDRAWN_BY_QUARANTINE = "the reports that opened it were quarantined as abuse"


def withdraw(incident: Incident, reason: str, quarantine: Quarantine | None = None) -> None:
    """Take an incident off the public pages at once: its review as it was is kept (a release
    gives it back), and its service's public level drops now to what the counts alone say,
    not at the next analytics run."""
    if incident.review != Incident.Review.WITHDRAWN:
        incident.review_before, incident.review_reason_before = (
            incident.review,
            incident.review_reason,
        )
    incident.review, incident.review_reason = Incident.Review.WITHDRAWN, reason
    incident.withdrawn_by = quarantine
    incident.save()
    if incident.status != Status.RESOLVED:
        drop_public_level(incident.service_id)


def drop_public_level(service_id: int) -> None:
    """Set the service's public level to its quiet level, and change every cached page's key."""
    now = timezone.now()
    updated = ServiceStatus.objects.filter(
        service_id=service_id, level__gt=F("quiet_level")
    ).update(level=F("quiet_level"), since=now)
    if updated:
        transaction.on_commit(lambda: note_analytics_run(now))


# --- After a quarantine ------------------------------------------------------------------------
# The replay starts this long before reports began rising (the windows need their run-up) and
# looks for an opening until this long after the detector first decided: a slow onset that took
# an hour of moderate evidence is found again if the reports that decided it still count.
RUN_UP = timedelta(hours=1)
LATE = timedelta(minutes=30)


def still_opens(incident: Incident) -> bool:
    """Would the detector still open this incident on the buckets as they are counted now?"""
    width = bucket_width()
    first = floor_bucket(incident.started_at - RUN_UP, width)
    last = floor_bucket(incident.detected_at + LATE, width)
    baseline = Baseline.objects.filter(service_id=incident.service_id).first()
    if baseline is None:
        return True  # nothing to judge against: leave it alone
    tuning = DetectorTuning.objects.filter(service_id=incident.service_id).first()
    settings = tuning.settings_or_defaults() if tuning else DEFAULTS
    found = dict(
        ServiceBucket.objects.filter(service_id=incident.service_id)
        .in_window(first, last + width)
        .values_list("start", "reports")
    )
    length = int((last - first) / width) + 1
    moments = [first + i * width for i in range(length)]
    counts = np.array([found.get(m, 0) for m in moments], dtype=float)
    expected = np.array([baseline.expected[slot_of_week(m, width)] for m in moments])
    noise = np.tile(baseline.noise or list(NOISE_PRIOR), (length, 1))
    judged = judge_series(counts, expected, noise, 0, length, first, width, settings)
    _, steps = replay(Tracker(), judged, width, settings)
    return any(
        s.tracker.incident and s.tracker.incident.status != Status.RESOLVED for _, s in steps
    )


def withdraw_unsupported(
    service_id: int, start: datetime, end: datetime, quarantine: Quarantine
) -> int:
    """Withdraw the service's incidents whose evidence lies in [start, end) (reports began rising
    before its end, the decision came after its start) that the detector would no longer open;
    returns how many."""
    withdrawn = 0
    for incident in Incident.objects.filter(
        service_id=service_id,
        detected_at__gte=start,
        started_at__lt=end,
        withdrawn_by__isnull=True,
    ):
        if still_opens(incident):
            continue
        withdraw(incident, WITHDRAWN_BY_QUARANTINE, quarantine)
        withdrawn += 1
    return withdrawn


def restore_withdrawn(quarantine: Quarantine) -> int:
    """Give back the incidents this quarantine withdrew, with the review they had before."""
    restored = 0
    for incident in Incident.objects.filter(withdrawn_by=quarantine):
        incident.review, incident.review_reason = (
            incident.review_before,
            incident.review_reason_before,
        )
        incident.review_before = incident.review_reason_before = ""
        incident.withdrawn_by = None
        incident.save()
        restored += 1
    return restored
