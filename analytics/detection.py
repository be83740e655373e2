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

import math
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
    # Moderate evidence that persists: one CUSUM per ratio, each accumulating how much better the
    # closed buckets fit "ratio times the baseline" than the baseline (log-likelihood ratio).
    onset_ratios: tuple[float, ...] = (2.0, 4.0)
    onset_threshold: float = 14.0
    onset_min_reports: int = 15  # summed over the run
    onset_min_ratio: float = 1.5  # the run's reports over its baseline
    # The recovery CUSUM weighs "back to the baseline" against "still this many times it": half
    # the incident's peak ratio, within these bounds.
    recovery_ratios: tuple[float, float] = (2.0, 4.0)
    recovery_threshold: float = 2.0
    quiet_buckets_to_resolve: int = 3
    cooldown_buckets: int = 6
    min_partial_fraction: float = 0.2  # a bucket one second old is judged as if 20 % elapsed

    def __post_init__(self) -> None:
        problems = []
        for name in ("problems_probability", "possible_probability"):
            if not 0.0 < getattr(self, name) < 1.0:
                problems.append(f"{name} must be between 0 and 1")
        for name in ("problems_ratio", "possible_ratio", "onset_min_ratio"):
            if getattr(self, name) < 1.0:
                problems.append(f"{name} must be at least 1")
        for name in ("problems_min_reports", "possible_min_reports", "onset_min_reports"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        for name in ("expected_floor", "onset_threshold", "recovery_threshold"):
            if getattr(self, name) <= 0.0:
                problems.append(f"{name} must be positive")
        if not self.onset_ratios or min(self.onset_ratios) <= 1.0:
            problems.append("onset_ratios must be one or more ratios above 1")
        low, high = self.recovery_ratios
        if not 1.0 < low <= high:
            problems.append("recovery_ratios must be two ratios above 1, the lower first")
        if self.quiet_buckets_to_resolve < 1 or self.cooldown_buckets < 0:
            problems.append(
                "quiet_buckets_to_resolve must be at least 1, cooldown_buckets 0 or more"
            )
        if not 0.0 < self.min_partial_fraction <= 1.0:
            problems.append("min_partial_fraction must be above 0 and at most 1")
        if problems:
            raise ValueError("; ".join(problems))


DEFAULTS = DetectorSettings()


def tuned(overrides: dict | None, base: DetectorSettings = DEFAULTS) -> DetectorSettings:
    """`base` with some settings replaced, from JSON-like values (numbers, lists, or strings such
    as "2.5" or "2,4" from a command line). Raises ValueError with a readable message."""
    if not overrides:
        return base
    if not isinstance(overrides, dict):
        raise ValueError("detector settings must be an object of name: value")
    changes = {}
    for name, value in overrides.items():
        if name not in DetectorSettings.__dataclass_fields__:
            raise ValueError(f"unknown detector setting {name!r}")
        default = getattr(DEFAULTS, name)
        try:
            if isinstance(default, tuple):
                items = value.split(",") if isinstance(value, str) else list(value)
                changes[name] = tuple(float(item) for item in items)
                if name == "recovery_ratios" and len(changes[name]) != 2:
                    raise ValueError
            elif isinstance(default, int):
                number = float(value)
                if isinstance(value, bool) or not number.is_integer():
                    raise ValueError
                changes[name] = int(number)
            else:
                if isinstance(value, bool):
                    raise ValueError
                changes[name] = float(value)
        except (TypeError, ValueError):
            kinds = {tuple: "a list of numbers", int: "a whole number", float: "a number"}
            kind = "two numbers" if name == "recovery_ratios" else kinds[type(default)]
            raise ValueError(f"{name} must be {kind}, not {value!r}") from None
        if isinstance(default, float) and not math.isfinite(changes[name]):
            raise ValueError(f"{name} must be a finite number")
    return replace(base, **changes)


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
class Run:
    """One CUSUM: the accumulated log-likelihood ratio and the buckets it has summed."""

    score: float = 0.0
    start: datetime | None = None  # the first bucket of the run (None while score is 0)
    observed: int = 0
    expected: float = 0.0
    buckets: int = 0


@dataclass(frozen=True)
class Tracker:
    """What the detector remembers about one service between buckets.

    `incident` is the open or recovering incident, or the last resolved one while it is within
    the cool-down (so a re-opening continues it). `onsets` holds one CUSUM per ratio in
    `onset_ratios` (used while no incident is active); `recovery` is the CUSUM that ends one.
    """

    incident: IncidentState | None = None
    onsets: tuple[Run, ...] = ()
    recovery: Run = Run()

    def to_json(self) -> dict:
        def run(r: Run) -> list:
            start = r.start.isoformat() if r.start else None
            return [r.score, start, r.observed, r.expected, r.buckets]

        return {"onsets": [run(r) for r in self.onsets], "recovery": run(self.recovery)}

    @classmethod
    def from_json(cls, data: dict | None, incident: IncidentState | None) -> "Tracker":
        def run(values: list) -> Run:
            score, start, observed, expected, buckets = values
            start = datetime.fromisoformat(start) if start else None
            return Run(score, start, observed, expected, buckets)

        data = data or {}
        onsets = tuple(run(v) for v in data.get("onsets", []))
        recovery = run(data["recovery"]) if "recovery" in data else Run()
        return cls(incident, onsets, recovery)


def log_likelihood_ratio(observed: float, expected: float, ratio: float, alpha: float) -> float:
    """log P(observed | mean ratio·expected) − log P(observed | mean expected), negative binomial
    with the same over-dispersion under both (Poisson when alpha is 0).

    Positive when the count fits "ratio times the baseline" better than the baseline itself.
    """
    if alpha < 1e-6:
        return observed * math.log(ratio) - (ratio - 1.0) * expected
    size = 1.0 / alpha
    shrink = (size + expected) / (size + ratio * expected)
    return size * math.log(shrink) + observed * math.log(ratio * shrink)


def _accumulate(run: Run, llr: float, evidence: Evidence) -> Run:
    score = run.score + llr
    if score <= 0.0:
        return Run()
    return Run(
        score=score,
        start=run.start or evidence.start,
        observed=run.observed + evidence.observed,
        expected=run.expected + evidence.expected,
        buckets=run.buckets + 1,
    )


def _run_alarm(run: Run, alpha: float, settings: DetectorSettings) -> float | None:
    """The run's tail probability if it crossed the threshold and passes the guards, else None."""
    if run.score < settings.onset_threshold or run.observed < settings.onset_min_reports:
        return None
    ratio = run.observed / max(run.expected, settings.expected_floor * run.buckets)
    if ratio < settings.onset_min_ratio:
        return None
    return float(upper_tail(run.observed, run.expected, alpha))


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
    can open an incident or raise its peak, but never moves a CUSUM.
    """
    level, probability, _ = evidence.judged(settings)
    incident = tracker.incident
    onsets, recovery = tracker.onsets, tracker.recovery
    active = incident is not None and incident.status != "resolved"
    expected = max(evidence.expected, settings.expected_floor)

    if not active:
        alarm = None
        if evidence.closed:
            if len(onsets) != len(settings.onset_ratios):
                onsets = tuple(Run() for _ in settings.onset_ratios)
            onsets = tuple(
                _accumulate(
                    run,
                    log_likelihood_ratio(evidence.observed, expected, r, evidence.alpha),
                    evidence,
                )
                for run, r in zip(onsets, settings.onset_ratios, strict=True)
            )
            alarms = [
                (p, run)
                for run in onsets
                if (p := _run_alarm(run, evidence.alpha, settings)) is not None
            ]
            alarm = min(alarms, key=lambda a: a[0]) if alarms else None
        cooled = incident is not None and incident.ended_at is not None
        if cooled and evidence.start - incident.ended_at > settings.cooldown_buckets * width:
            incident = None  # the cool-down is over: forget it
        if level < Level.PROBLEMS and alarm is None:
            return Tracker(incident, onsets, recovery)
        if incident is not None:  # within the cool-down: the same incident goes on
            incident = replace(incident, status="open", ended_at=None, quiet_buckets=0)
        else:
            start = evidence.start
            if alarm is not None:
                start = min(start, alarm[1].start)
                probability = min(probability, alarm[0])
            incident = _opened(evidence, start, probability, max(level, Level.POSSIBLE))
            return Tracker(incident, (), Run())
        onsets, recovery = (), Run()

    if evidence.observed > incident.peak_reports:
        incident = replace(
            incident,
            peak_at=evidence.start,
            peak_reports=evidence.observed,
            peak_expected=evidence.expected,
            peak_probability=probability,
        )
    if level == Level.PROBLEMS:
        incident = replace(incident, level=Level.PROBLEMS)
    if not evidence.closed:
        if level == Level.PROBLEMS:
            incident = replace(incident, status="open", quiet_buckets=0)
        return Tracker(incident, onsets, recovery)
    # The recovery CUSUM weighs "back to the baseline" against "still recovery_ratio times it";
    # while it is at zero the outage goes on, and where its last run began is where it ended.
    peak_ratio = incident.peak_reports / max(incident.peak_expected, settings.expected_floor)
    low, high = settings.recovery_ratios
    still = min(max(peak_ratio / 2.0, low), high)
    llr = log_likelihood_ratio(evidence.observed, expected, still, evidence.alpha)
    recovery = _accumulate(recovery, -llr, evidence)
    if recovery.score == 0.0 or level == Level.PROBLEMS:
        recovery = Run()
        incident = replace(incident, status="open", last_active_at=evidence.start, quiet_buckets=0)
        return Tracker(incident, onsets, recovery)
    quiet = recovery.buckets
    if recovery.score >= settings.recovery_threshold and quiet >= settings.quiet_buckets_to_resolve:
        incident = replace(
            incident,
            status="resolved",
            quiet_buckets=quiet,
            ended_at=incident.last_active_at + width,
        )
        return Tracker(incident, (), Run())
    incident = replace(incident, status="recovering", quiet_buckets=quiet)
    return Tracker(incident, onsets, recovery)
