"""The detector: count-aware evidence per bucket, levels, and the incident state machine.

Pure: no Django models, no clock. The live pipeline, `backtest`, `simulate` and the benchmarks
share it, with the same shipped defaults (DEFAULTS).

A bucket's evidence is the upper-tail probability of its count under a negative binomial around
the baseline (analytics.evidence), together with two guards that make it meaningful at both ends
of the volume range: an absolute minimum of reports (2 reports on a quiet service are not an
outage, however improbable) and a minimum ratio over the baseline (2,100 reports against 2,000
expected are noise, however improbable). Only upward changes count.

Levels: "problems" when all three of p, count and ratio pass the strict thresholds, "possible
problems" when they pass the loose ones, "no problems" otherwise.

Incidents: open at once on a bucket at "problems" (including the bucket still filling, whose
expected count is scaled by how much of it has elapsed, so a large outage is flagged within a
minute or two), when `persist_buckets` closed buckets in a row are at least "possible", or when
the sum of the last 3 or 6 closed buckets is significantly above its baseline. An
open incident tracks its peak, stays open while buckets are at least "possible", is "recovering"
once they are back to "no problems", and resolves after `quiet_buckets_to_resolve` such closed
buckets in a row; its end is the end of the last elevated bucket. A new opening within
`cooldown_buckets` of the end continues the same incident.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum

import numpy as np

from analytics.evidence import upper_tail


class Level(IntEnum):
    OK = 0
    POSSIBLE = 1
    PROBLEMS = 2


@dataclass(frozen=True)
class DetectorSettings:
    problems_probability: float = 1e-6
    problems_min_reports: int = 10
    problems_ratio: float = 2.0
    possible_probability: float = 1e-3
    possible_min_reports: int = 5
    possible_ratio: float = 1.5
    expected_floor: float = 0.5  # the ratio never divides by less than this
    persist_buckets: int = 2
    # Moderate evidence that persists, judged on the sum of the last closed buckets (each window
    # size in turn): a doubling at 5 reports per bucket is invisible in one bucket, plain in three
    # or six.
    window_sizes: tuple[int, ...] = (3, 6)
    window_probability: float = 1e-4
    window_ratio: float = 1.5
    window_min_reports: int = 15
    quiet_buckets_to_resolve: int = 3
    cooldown_buckets: int = 6
    min_partial_fraction: float = 0.2  # a bucket one second old is judged as if 20 % elapsed


DEFAULTS = DetectorSettings()


def assess(observed, expected, alpha=0.0, settings: DetectorSettings = DEFAULTS):
    """Levels, tail probabilities and ratios for arrays (or scalars) of buckets."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    probability = upper_tail(observed, expected, alpha)
    ratio = observed / np.maximum(expected, settings.expected_floor)
    problems = (
        (probability <= settings.problems_probability)
        & (observed >= settings.problems_min_reports)
        & (ratio >= settings.problems_ratio)
    )
    possible = (
        (probability <= settings.possible_probability)
        & (observed >= settings.possible_min_reports)
        & (ratio >= settings.possible_ratio)
    )
    level = np.where(problems, Level.PROBLEMS, np.where(possible, Level.POSSIBLE, Level.OK))
    return level.astype(int), probability, ratio


@dataclass(frozen=True)
class Evidence:
    """One bucket as the detector sees it.

    `expected` is the baseline for the whole bucket; for the bucket still filling (`closed` is
    False) `fraction` says how much of it has elapsed.
    """

    start: datetime
    observed: int
    expected: float
    alpha: float = 0.0
    closed: bool = True
    fraction: float = 1.0
    # (level, probability, ratio) when already computed in bulk by judge_many.
    verdict: tuple[int, float, float] | None = None

    def judged(self, settings: DetectorSettings = DEFAULTS) -> tuple[Level, float, float]:
        """(level, probability, ratio), with the expected count scaled for a filling bucket."""
        if self.verdict is not None:
            level, probability, ratio = self.verdict
            return Level(int(level)), float(probability), float(ratio)
        expected = self.expected
        if not self.closed:
            expected *= min(max(self.fraction, settings.min_partial_fraction), 1.0)
        level, probability, ratio = assess(self.observed, expected, self.alpha, settings)
        return Level(int(level)), float(probability), float(ratio)


def judge_many(observed, expected, alpha, closed, fraction, settings: DetectorSettings = DEFAULTS):
    """Evidence.judged for many buckets at once (one vectorised call instead of one each)."""
    expected = np.asarray(expected, dtype=float)
    scale = np.where(
        np.asarray(closed, dtype=bool),
        1.0,
        np.clip(np.asarray(fraction, dtype=float), settings.min_partial_fraction, 1.0),
    )
    return assess(observed, expected * scale, alpha, settings)


@dataclass(frozen=True)
class IncidentState:
    status: str  # "open", "recovering" or "resolved"
    started_at: datetime
    last_active_at: datetime
    opened_reports: int
    opened_expected: float
    opened_probability: float
    peak_at: datetime
    peak_reports: int
    peak_expected: float
    peak_probability: float
    quiet_buckets: int = 0
    ended_at: datetime | None = None
    level: int = Level.PROBLEMS  # the highest level it reached


@dataclass(frozen=True)
class Tracker:
    """What the detector remembers about one service between buckets.

    `incident` is the open or recovering incident, or the last resolved one while it is within
    the cool-down (so a re-opening continues it); `streak` counts closed buckets in a row at
    "possible problems" or worse, starting at `streak_start`.
    """

    incident: IncidentState | None = None
    streak: int = 0
    streak_start: datetime | None = None
    # The last closed buckets: (start, observed, expected), oldest first.
    window: tuple[tuple[datetime, int, float], ...] = ()


def window_evidence(
    window: tuple[tuple[datetime, int, float], ...], alpha: float, settings: DetectorSettings
) -> float | None:
    """The summed window's tail probability if it is significantly and substantially above its
    baseline, else None."""
    best = None
    for size in settings.window_sizes:
        if len(window) >= size:
            probability = _window_probability(window[-size:], alpha, settings)
            if probability is not None and (best is None or probability < best):
                best = probability
    return best


def _window_probability(
    window: tuple[tuple[datetime, int, float], ...], alpha: float, settings: DetectorSettings
) -> float | None:
    observed = sum(w[1] for w in window)
    expected = sum(w[2] for w in window)
    ratio = observed / max(expected, settings.expected_floor * len(window))
    if ratio < settings.window_ratio or observed < settings.window_min_reports:
        return None  # the cheap guards first: most windows stop here
    # Not alpha / k: neighbouring buckets share their baseline's error (they are estimated from
    # the same neighbouring slots), so summing does not average the over-dispersion away.
    probability = float(upper_tail(observed, expected, alpha))
    return probability if probability <= settings.window_probability else None


def _opened(
    evidence: Evidence, started_at: datetime, probability: float, level: Level
) -> IncidentState:
    return IncidentState(
        level=int(level),
        status="open",
        started_at=started_at,
        last_active_at=evidence.start,
        opened_reports=evidence.observed,
        opened_expected=evidence.expected,
        opened_probability=probability,
        peak_at=evidence.start,
        peak_reports=evidence.observed,
        peak_expected=evidence.expected,
        peak_probability=probability,
    )


def advance(
    tracker: Tracker,
    evidence: Evidence,
    width: timedelta,
    settings: DetectorSettings = DEFAULTS,
) -> Tracker:
    """Feed one bucket; returns the new tracker.

    Closed buckets must be fed once each, in order. The filling bucket may be fed repeatedly: it
    can open an incident or raise its peak, but never counts towards a streak or as quiet.
    """
    level, probability, _ = evidence.judged(settings)
    incident = tracker.incident
    streak, streak_start, window = tracker.streak, tracker.streak_start, tracker.window
    sustained = None
    if evidence.closed:
        if level >= Level.POSSIBLE:
            streak, streak_start = streak + 1, streak_start or evidence.start
        else:
            streak, streak_start = 0, None
        window = (*window, (evidence.start, evidence.observed, evidence.expected))
        window = window[-max(settings.window_sizes) :]
        # Buckets of the incident itself must not re-open it: only those after its last
        # elevated bucket count towards a new opening.
        fresh = window
        if tracker.incident is not None:
            fresh = tuple(w for w in window if w[0] > tracker.incident.last_active_at)
        sustained = window_evidence(fresh, evidence.alpha, settings)

    active = incident is not None and incident.status != "resolved"
    if not active:
        persistent = evidence.closed and streak >= settings.persist_buckets
        opens = level == Level.PROBLEMS or persistent or sustained is not None
        cooled = incident is not None and incident.ended_at is not None
        if cooled and evidence.start - incident.ended_at > settings.cooldown_buckets * width:
            incident = None  # the cool-down is over: forget it
        if not opens:
            return Tracker(incident, streak, streak_start, window)
        if incident is not None:  # within the cool-down: the same incident goes on
            incident = replace(incident, status="open", ended_at=None, quiet_buckets=0)
        else:
            start = evidence.start
            if level < Level.PROBLEMS and persistent:
                start = streak_start
            elif (
                level < Level.PROBLEMS
            ):  # a window: from the first of its last three above baseline
                recent = window[-min(settings.window_sizes) :]
                start = next((w[0] for w in recent if w[1] > w[2]), recent[0][0])
                probability = min(probability, sustained)
            incident = _opened(evidence, start, probability, max(level, Level.POSSIBLE))
            return Tracker(incident, streak, streak_start, window)

    if evidence.observed > incident.peak_reports:
        incident = replace(
            incident,
            peak_at=evidence.start,
            peak_reports=evidence.observed,
            peak_expected=evidence.expected,
            peak_probability=probability,
        )
    # Still elevated (a filling bucket only counts when it is clearly at "problems").
    if level == Level.PROBLEMS or (evidence.closed and level == Level.POSSIBLE):
        incident = replace(
            incident,
            status="open",
            last_active_at=evidence.start,
            quiet_buckets=0,
            level=max(incident.level, int(level)),
        )
    elif evidence.closed:
        quiet = incident.quiet_buckets + 1
        if quiet >= settings.quiet_buckets_to_resolve:
            incident = replace(
                incident,
                status="resolved",
                quiet_buckets=quiet,
                ended_at=incident.last_active_at + width,
            )
        else:
            incident = replace(incident, status="recovering", quiet_buckets=quiet)
    return Tracker(incident, streak, streak_start, window)
