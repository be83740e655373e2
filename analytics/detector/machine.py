"""The incident state machine: one step per judged bucket, returning what happened. Pure.

An incident opens when a bucket's evidence passes the opening bar (analytics.detector.evidence:
one bucket far above its baseline, or a window of buckets persistently above it). It records
when the detector decided (`detected_at`: the end of the closed bucket, or the minute the filling
bucket was judged) apart from when reports began rising (`started_at`: the first of the unbroken
run of elevated buckets that led to the decision). It tracks its peak, stays open while closed buckets are at least
`still_ratio` times their baseline, is "recovering" after one that is not, and resolves after
`quiet_buckets_to_resolve` such buckets in a row; its end is the end of the last elevated
bucket. An opening within `cooldown_buckets` of the end continues the same incident.

Only upward changes matter: a drop in reports is not an outage.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from analytics.detector.levels import Level, elevated
from analytics.detector.settings import DEFAULTS, DetectorSettings


class Status(StrEnum):
    OPEN = "open"
    RECOVERING = "recovering"
    RESOLVED = "resolved"


class Event(StrEnum):
    OPENED = "opened"
    REOPENED = "reopened"  # within the cool-down: the same incident goes on
    PEAKED = "peaked"
    RECOVERING = "recovering"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Judgement:
    """One bucket as the detector sees it, already judged (analytics.detector.evidence.judge).

    `window` is the length of the window that passed the opening bar (0 if none), with its
    reports, expected count and probability; `decided_at` is when this judgement was made (the
    bucket's end when `closed`, otherwise the current minute).
    """

    start: datetime
    observed: int
    expected: float
    closed: bool
    decided_at: datetime
    level: Level
    probability: float
    window: int = 0
    window_observed: int = 0
    window_expected: float = 0.0
    window_probability: float = 1.0
    # How many buckets just before this one were elevated without a break (0: the run begins
    # with this bucket), as far back as the detector remembers.
    rising_buckets: int = 0


@dataclass(frozen=True)
class IncidentState:
    status: Status
    started_at: datetime  # the first of the unbroken elevated buckets up to the decision
    detected_at: datetime  # when the detector decided
    last_active_at: datetime
    opened_reports: int  # the deciding window's numbers
    opened_expected: float
    opened_probability: float
    opened_buckets: int
    peak_at: datetime
    peak_reports: int
    peak_expected: float
    peak_probability: float
    quiet_buckets: int = 0
    ended_at: datetime | None = None
    level: int = Level.PROBLEMS


@dataclass(frozen=True)
class Tracker:
    """What the detector remembers about one service between buckets: the open or recovering
    incident, or the last resolved one while within the cool-down, so a re-opening continues
    it. (The buckets behind each window are read from the counts, not remembered: a recount or
    a quarantine then reaches the next decision.)"""

    incident: IncidentState | None = None


@dataclass(frozen=True)
class Step:
    tracker: Tracker
    events: tuple[Event, ...] = ()


def _opened(j: Judgement, width: timedelta) -> IncidentState:
    return IncidentState(
        status=Status.OPEN,
        started_at=j.start - j.rising_buckets * width,
        detected_at=j.decided_at,
        last_active_at=j.start,
        opened_reports=int(j.window_observed),
        opened_expected=float(j.window_expected),
        opened_probability=float(j.window_probability),
        opened_buckets=int(j.window),
        peak_at=j.start,
        peak_reports=j.observed,
        peak_expected=j.expected,
        peak_probability=j.probability,
    )


def advance(
    tracker: Tracker, j: Judgement, width: timedelta, settings: DetectorSettings = DEFAULTS
) -> Step:
    """Feed one judged bucket. Closed buckets must be fed once each, in order; the filling
    bucket may be fed repeatedly (it can open an incident or raise its peak, nothing else)."""
    incident = tracker.incident
    events: list[Event] = []

    if incident is None or incident.status == Status.RESOLVED:
        if incident is not None:
            assert incident.ended_at is not None  # a resolved incident has ended
            if j.start - incident.ended_at > settings.cooldown_buckets * width:
                incident = None  # the cool-down is over: forget it
        if not j.window:
            return Step(Tracker(incident))
        if incident is None:
            return Step(Tracker(_opened(j, width)), (Event.OPENED,))
        incident = replace(incident, status=Status.OPEN, ended_at=None, quiet_buckets=0)
        events.append(Event.REOPENED)

    if j.observed > incident.peak_reports:
        incident = replace(
            incident,
            peak_at=j.start,
            peak_reports=j.observed,
            peak_expected=j.expected,
            peak_probability=j.probability,
        )
        events.append(Event.PEAKED)
    up = bool(elevated(j.observed, j.expected, settings.still_ratio))
    if not j.closed:
        if j.window and incident.status == Status.RECOVERING:
            incident = replace(incident, status=Status.OPEN, quiet_buckets=0)
        return Step(Tracker(incident), tuple(events))
    if up:
        incident = replace(incident, status=Status.OPEN, last_active_at=j.start, quiet_buckets=0)
        return Step(Tracker(incident), tuple(events))
    quiet = incident.quiet_buckets + 1
    if quiet >= settings.quiet_buckets_to_resolve:
        incident = replace(
            incident,
            status=Status.RESOLVED,
            quiet_buckets=quiet,
            ended_at=incident.last_active_at + width,
        )
        events.append(Event.RESOLVED)
    else:
        if incident.status == Status.OPEN:
            events.append(Event.RECOVERING)
        incident = replace(incident, status=Status.RECOVERING, quiet_buckets=quiet)
    return Step(Tracker(incident), tuple(events))
