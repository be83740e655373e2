"""The first detector: ratio over a time-of-day baseline with minimum counts, and incidents.

Pure: no Django models, no clock. The live pipeline, `simulate` and tests share it.

A bucket's level:
- problems: at least `min_reports` reports and at least `problems_ratio` × expected;
- possible problems: at least `possible_min_reports` and `possible_ratio` × expected;
- no problems otherwise.
`expected` is never taken below `expected_floor`, so a service that normally gets no reports is
not flagged for two. Only upward changes matter: fewer reports than usual is not an outage.

An incident opens on the first bucket at the problems level, including the current, still filling
bucket (so a large outage is flagged within a minute or two, not after the bucket closes). It stays
open while buckets are at problems, is "recovering" while they are below, and resolves after
`quiet_buckets_to_resolve` closed buckets at no problems in a row.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum


class Level(IntEnum):
    OK = 0
    POSSIBLE = 1
    PROBLEMS = 2


@dataclass(frozen=True)
class DetectorSettings:
    expected_floor: float = 1.0
    min_reports: int = 10
    problems_ratio: float = 4.0
    possible_min_reports: int = 5
    possible_ratio: float = 2.5
    quiet_buckets_to_resolve: int = 3


DEFAULTS = DetectorSettings()


def classify(observed: int, expected: float, settings: DetectorSettings = DEFAULTS) -> Level:
    """The level of one bucket with `observed` reports against a baseline of `expected`."""
    reference = max(expected, settings.expected_floor)
    if observed >= settings.min_reports and observed >= settings.problems_ratio * reference:
        return Level.PROBLEMS
    if (
        observed >= settings.possible_min_reports
        and observed >= settings.possible_ratio * reference
    ):
        return Level.POSSIBLE
    return Level.OK


@dataclass(frozen=True)
class Evidence:
    """One bucket as the detector sees it. `closed` is False for the bucket still filling."""

    start: datetime
    observed: int
    expected: float
    closed: bool = True


@dataclass(frozen=True)
class IncidentState:
    status: str  # "open", "recovering" or "resolved"
    started_at: datetime
    last_active_at: datetime
    opened_reports: int
    opened_expected: float
    peak_at: datetime
    peak_reports: int
    peak_expected: float
    quiet_buckets: int = 0
    ended_at: datetime | None = None


def advance(
    state: IncidentState | None,
    evidence: Evidence,
    width: timedelta,
    settings: DetectorSettings = DEFAULTS,
) -> IncidentState | None:
    """Feed one bucket to the incident state machine; returns the new state.

    Closed buckets must be fed once each, in order; the filling bucket may be fed repeatedly (it
    can open an incident or raise its peak, never count as quiet). A returned state with status
    "resolved" is final: the caller stores it and starts the next bucket from None.
    """
    level = classify(evidence.observed, evidence.expected, settings)
    if state is None or state.status == "resolved":
        if level < Level.PROBLEMS:
            return None
        return IncidentState(
            status="open",
            started_at=evidence.start,
            last_active_at=evidence.start,
            opened_reports=evidence.observed,
            opened_expected=evidence.expected,
            peak_at=evidence.start,
            peak_reports=evidence.observed,
            peak_expected=evidence.expected,
        )
    if evidence.observed > state.peak_reports:
        state = replace(
            state,
            peak_at=evidence.start,
            peak_reports=evidence.observed,
            peak_expected=evidence.expected,
        )
    if level == Level.PROBLEMS:
        return replace(state, status="open", last_active_at=evidence.start, quiet_buckets=0)
    if not evidence.closed:
        return state  # a bucket still filling says nothing yet about recovery
    if level == Level.POSSIBLE:
        return replace(state, status="recovering", quiet_buckets=0)
    quiet = state.quiet_buckets + 1
    if quiet >= settings.quiet_buckets_to_resolve:
        return replace(
            state, status="resolved", quiet_buckets=quiet, ended_at=state.last_active_at + width
        )
    return replace(state, status="recovering", quiet_buckets=quiet)
