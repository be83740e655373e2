"""One replay loop for the live pipeline, `backtest` and the quarantine reassessment. Pure.

`replay` feeds judged buckets to the state machine and returns every step with what happened.
`judge_series` judges a run of closed buckets of one series from its counts, baselines and noise.
`replay_causally` runs the whole detector over a recorded series as the live pipeline would
have: a decision about bucket t uses only buckets up to t; baselines are refitted at every UTC
day boundary (every hour while there are fewer than two days of history) from what came before,
leaving out the buckets of incidents found so far.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from analytics.detector.baselines import (
    BASELINE_DEFAULTS,
    BaselineSettings,
    fit_baselines,
    slot_of_week,
)
from analytics.detector.evidence import Verdicts, judge
from analytics.detector.levels import Level, elevated
from analytics.detector.machine import (
    Event,
    IncidentState,
    Judgement,
    Status,
    Step,
    Tracker,
    advance,
)
from analytics.detector.settings import DEFAULTS, DetectorSettings
from analytics.detector.windows import LONGEST, WINDOWS

# With less history than this the detector stays silent (there is nothing to compare with).
WARM_UP = timedelta(hours=1)


def replay(
    tracker: Tracker,
    judgements: list[Judgement],
    width: timedelta,
    settings: DetectorSettings = DEFAULTS,
) -> tuple[Tracker, list[tuple[Judgement, Step]]]:
    """Feed the judgements in order; the final tracker and each step that did something."""
    steps = []
    for j in judgements:
        step = advance(tracker, j, width, settings)
        if step.events or step.tracker.incident != tracker.incident:
            steps.append((j, step))
        tracker = step.tracker
    return tracker, steps


def _windows_ending_at(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(len(positions), LONGEST): the LONGEST values ending at each position, NaN before 0."""
    padded = np.concatenate([np.full(LONGEST - 1, np.nan), np.asarray(values, dtype=float)])
    offsets = np.arange(LONGEST)
    return padded[positions[:, None] + offsets[None, :]]


def judgements_from_verdicts(
    starts: list[datetime],
    observed: np.ndarray,
    expected: np.ndarray,
    verdicts: Verdicts,
    closed: np.ndarray,
    decided: list[datetime],
    still_ratio: float,
    whole: list[float] | None = None,
) -> list[Judgement]:
    """Judgement objects from (N, LONGEST) windows and their bulk verdicts. `whole` is each
    judged bucket's expected count for the whole bucket where the last column holds a scaled
    one (the filling bucket)."""
    result = []
    up = elevated(observed, expected, still_ratio)
    for i, start in enumerate(starts):
        k = int(verdicts.window[i])
        rising = 0
        if k:  # reports began rising where the unbroken run of elevated buckets began
            before = up[i, :-1][::-1]
            rising = int(np.argmin(before)) if not before.all() else len(before)
        result.append(
            Judgement(
                start=start,
                observed=int(observed[i, -1]),
                expected=float(expected[i, -1] if whole is None else whole[i]),
                closed=bool(closed[i]),
                decided_at=decided[i],
                level=Level(int(verdicts.level[i])),
                probability=float(verdicts.probability[i]),
                window=k,
                window_observed=int(verdicts.window_observed[i]),
                window_expected=float(verdicts.window_expected[i]),
                window_probability=float(verdicts.window_probability[i]),
                rising_buckets=rising,
            )
        )
    return result


def judge_series(
    counts: np.ndarray,
    expected: np.ndarray,
    noise: np.ndarray,
    first: int,
    stop: int,
    start_time: datetime,
    width: timedelta,
    settings: DetectorSettings = DEFAULTS,
) -> list[Judgement]:
    """Judge closed buckets first … stop-1 of a dense series (index 0 at `start_time`).

    `expected` is the baseline per bucket, `noise` (len(counts), len(WINDOWS)) the noise in
    force at each bucket; each window sees only its own bucket and those before it.
    """
    positions = np.arange(first, stop)
    if len(positions) == 0:
        return []
    observed = _windows_ending_at(counts, positions)
    expecteds = _windows_ending_at(expected, positions)
    closed = np.ones(len(positions), dtype=bool)
    verdicts = judge(observed, expecteds, noise[positions], closed, settings)
    starts = [start_time + int(p) * width for p in positions]
    return judgements_from_verdicts(
        starts,
        observed,
        expecteds,
        verdicts,
        closed,
        [s + width for s in starts],
        settings.still_ratio,
    )


@dataclass
class ReplayResult:
    """What the detector would have done: every incident (with the steps of its life), and per
    bucket the level, expected count, one-bucket probability and noise in force."""

    incidents: list[IncidentState] = field(default_factory=list)
    levels: np.ndarray | None = None
    expected: np.ndarray | None = None
    probability: np.ndarray | None = None
    noise: np.ndarray | None = None


def replay_causally(
    counts: np.ndarray,
    start: datetime,
    width: timedelta,
    settings: DetectorSettings = DEFAULTS,
    baseline_settings: BaselineSettings = BASELINE_DEFAULTS,
) -> ReplayResult:
    """Run the detector over a dense series of counts (bucket 0 starting at `start`)."""
    values = np.asarray(counts, dtype=float)
    n = len(values)
    per_day = int(timedelta(days=1) / width)
    max_excluded = int(baseline_settings.max_excluded / width)
    first_slot = slot_of_week(start, width)
    expected = np.zeros(n)
    noise = np.zeros((n, len(WINDOWS)))
    levels = np.zeros(n, dtype=int)
    probability = np.ones(n)
    excluded = np.zeros(n, dtype=bool)
    incidents: list[IncidentState] = []
    tracker = Tracker()

    position = min(n, int(np.ceil(WARM_UP / width)))
    while position < n:
        moment = start + position * width
        hour = moment.replace(minute=0, second=0, microsecond=0)
        if moment - start < timedelta(days=2):
            boundary = hour + timedelta(hours=1)
        else:
            boundary = hour.replace(hour=0) + timedelta(days=1)
        chunk_end = min(n, position + max(1, int((boundary - moment) / width)))
        fit = fit_baselines(
            values[None, :position],
            first_slot,
            per_day,
            excluded=excluded[None, :position],
            settings=baseline_settings,
        )
        per_week = fit.expected.shape[1]
        slots = (first_slot + np.arange(position, chunk_end)) % per_week
        expected[position:chunk_end] = fit.expected[0, slots]
        noise[position:chunk_end] = fit.noise[0]
        judged = judge_series(values, expected, noise, position, chunk_end, start, width, settings)
        levels[position:chunk_end] = [int(j.level) for j in judged]
        probability[position:chunk_end] = [j.probability for j in judged]
        tracker, steps = replay(tracker, judged, width, settings)
        for j, step in steps:
            incident = step.tracker.incident
            if incident is None:  # the cool-down ended: nothing to record
                continue
            if Event.OPENED in step.events:
                incidents.append(incident)
            elif incidents[-1].started_at == incident.started_at:
                incidents[-1] = incident
            if incident.status != Status.RESOLVED:
                i = int((j.start - start) / width)
                first = int((incident.started_at - start) / width)
                excluded[max(first, 0) : min(i + 1, first + max_excluded)] = True
        position = chunk_end
    return ReplayResult(incidents, levels, expected, probability, noise)
