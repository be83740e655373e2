"""Running the detector causally over a recorded series: the `backtest` command and benchmarks.

The same baselines and detector as the live pipeline, with the same defaults. A decision about
bucket t uses only buckets before t: baselines are refitted at every UTC day boundary (every hour
while there are fewer than two days of history) from what came before, leaving out the buckets of
incidents found so far, and buckets are fed to the incident state machine one by one.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.baselines import (
    BASELINE_DEFAULTS,
    BaselineSettings,
    fit_baselines,
    slot_of_week,
)
from analytics.detection import (
    DEFAULTS,
    DetectorSettings,
    Evidence,
    Level,
    Tracker,
    advance,
    assess,
)

# With less history than this the detector stays silent (there is nothing to compare with).
WARM_UP = timedelta(hours=1)


class BacktestError(ValueError):
    """The input cannot be backtested; the message is one line saying why."""


@dataclass(frozen=True)
class BacktestIncident:
    start: datetime
    detected: datetime  # the bucket whose evidence opened it (the decision comes at its end)
    peak: datetime
    end: datetime | None  # None: still open at the end of the series
    level: str
    observed: int  # at opening
    expected: float
    probability: float
    peak_observed: int
    peak_expected: float
    peak_probability: float


@dataclass
class BacktestResult:
    width: timedelta
    start: datetime
    end: datetime
    incidents: list[BacktestIncident] = field(default_factory=list)
    levels: np.ndarray | None = None  # per bucket
    expected: np.ndarray | None = None  # per bucket
    alpha: np.ndarray | None = None  # per bucket: the over-dispersion in force
    probability: np.ndarray | None = None  # per bucket
    index: pd.DatetimeIndex | None = None

    def buckets_at(self, level: Level) -> list[datetime]:
        return [t.to_pydatetime() for t in self.index[self.levels == level]]

    def to_json(self) -> dict:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "bucket_minutes": self.width.total_seconds() / 60,
            "start": iso(self.start),
            "end": iso(self.end),
            "incidents": [
                {k: iso(v) if isinstance(v, datetime) else v for k, v in asdict(i).items()}
                for i in self.incidents
            ],
            "levels": {
                "possible": [iso(t) for t in self.buckets_at(Level.POSSIBLE)],
                "problems": [iso(t) for t in self.buckets_at(Level.PROBLEMS)],
            },
        }


LEVEL_NAMES = {
    Level.OK: "no problems",
    Level.POSSIBLE: "possible problems",
    Level.PROBLEMS: "problems",
}


def infer_width(index: pd.DatetimeIndex) -> timedelta:
    """The fixed spacing of a sorted index, or BacktestError naming the first irregular row."""
    if len(index) < 2:
        raise BacktestError("need at least two rows to infer the bucket width")
    steps = np.diff(index.to_numpy()).astype("timedelta64[us]").astype(np.int64)
    width = int(np.median(steps))
    if width <= 0:
        raise BacktestError("timestamps are not increasing")
    bad = np.nonzero(steps != width)[0]
    if len(bad):
        row = int(bad[0]) + 1
        raise BacktestError(
            f"irregular spacing at data row {row + 1}: {index[row - 1]} → {index[row]} "
            f"(expected every {timedelta(microseconds=width)})"
        )
    result = timedelta(microseconds=width)
    if timedelta(days=1) % result:
        raise BacktestError(f"bucket width {result} does not divide a day")
    return result


def read_series(
    path: Path, timestamp_column: str = "timestamp", value_column: str = "value"
) -> pd.Series:
    """A dense count series from a CSV file, indexed by aware UTC timestamps."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise BacktestError(f"{path}: file not found") from exc
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise BacktestError(f"{path}: not a readable CSV file ({exc.__class__.__name__})") from exc
    missing = [c for c in (timestamp_column, value_column) if c not in frame.columns]
    if missing:
        raise BacktestError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        )
    if frame.empty:
        raise BacktestError(f"{path}: no data rows")
    stamps = pd.to_datetime(frame[timestamp_column], utc=True, errors="coerce", format="mixed")
    if stamps.isna().any():
        row = int(np.argmax(stamps.isna().to_numpy()))
        raise BacktestError(
            f"{path}: row {row + 2}: unparsable timestamp {frame[timestamp_column].iloc[row]!r}"
        )
    values = pd.to_numeric(frame[value_column], errors="coerce")
    bad = values.isna() | (values < 0) | ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise BacktestError(
            f"{path}: row {row + 2}: value {frame[value_column].iloc[row]!r} is not a count >= 0"
        )
    series = pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(stamps))
    if not series.index.is_monotonic_increasing:
        series = series.sort_index()
    try:
        infer_width(series.index)
    except BacktestError as exc:
        raise BacktestError(f"{path}: {exc}") from exc
    return series


def run_backtest(
    series: pd.Series,
    settings: DetectorSettings = DEFAULTS,
    baseline_settings: BaselineSettings = BASELINE_DEFAULTS,
) -> BacktestResult:
    """Run the detector over a dense series (UTC index at a fixed width) in time order."""
    width = infer_width(series.index)
    per_day = int(timedelta(days=1) / width)
    values = series.to_numpy(dtype=float)
    index = series.index
    n = len(values)
    start = index[0].to_pydatetime()
    max_excluded = int(baseline_settings.max_excluded / width)
    first_slot = slot_of_week(start, width)

    expected = np.zeros(n)
    alpha = np.zeros(n)
    levels = np.zeros(n, dtype=int)
    probability = np.ones(n)
    excluded = np.zeros(n, dtype=bool)
    incidents: list[BacktestIncident] = []
    tracker = Tracker()
    current = None  # index of the open incident's first bucket, for exclusion
    detected_at: dict[datetime, datetime] = {}  # incident start → bucket that opened it

    # Nothing is judged during the warm-up: there is no history to compare with yet.
    position = int(index.searchsorted(pd.Timestamp(start + WARM_UP)))
    while position < n:
        moment = index[position].to_pydatetime()
        # Refit at every UTC day boundary, or every hour while history is shorter than two days.
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
        alpha[position:chunk_end] = fit.alpha[0]
        chunk_levels, chunk_p, chunk_ratio = assess(
            values[position:chunk_end], expected[position:chunk_end], fit.alpha[0], settings
        )
        levels[position:chunk_end] = chunk_levels
        probability[position:chunk_end] = chunk_p
        for i in range(position, chunk_end):
            before = tracker.incident
            tracker = advance(
                tracker,
                Evidence(
                    index[i].to_pydatetime(), int(values[i]), float(expected[i]), float(alpha[i])
                ),
                width,
                settings,
            )
            incident = tracker.incident
            opened = (
                incident is not None
                and incident.status == "open"
                and (before is None or before.status == "resolved")
            )
            if opened and (before is None or before.started_at != incident.started_at):
                current = int(index.searchsorted(pd.Timestamp(incident.started_at)))
                detected_at[incident.started_at] = index[i].to_pydatetime()
            if incident is not None and incident.status != "resolved" and current is not None:
                excluded[current : min(i + 1, current + max_excluded)] = True
            if (
                incident is not None
                and incident.status == "resolved"
                and (before is not None and before.status != "resolved")
            ):
                _record(incidents, incident, detected_at[incident.started_at])
        position = chunk_end
    if tracker.incident is not None and tracker.incident.status != "resolved":
        _record(incidents, tracker.incident, detected_at[tracker.incident.started_at])
    return BacktestResult(
        width=width,
        start=start,
        end=index[-1].to_pydatetime() + width,
        incidents=incidents,
        levels=levels,
        expected=expected,
        alpha=alpha,
        probability=probability,
        index=index,
    )


def _record(incidents: list[BacktestIncident], state, detected: datetime) -> None:
    entry = BacktestIncident(
        start=state.started_at,
        detected=detected,
        peak=state.peak_at,
        end=state.ended_at if state.status == "resolved" else None,
        level=LEVEL_NAMES[Level(state.level)],
        observed=state.opened_reports,
        expected=round(state.opened_expected, 3),
        probability=state.opened_probability,
        peak_observed=state.peak_reports,
        peak_expected=round(state.peak_expected, 3),
        peak_probability=state.peak_probability,
    )
    # A re-opening within the cool-down continues an incident already recorded.
    if incidents and incidents[-1].start == entry.start:
        incidents[-1] = entry
    else:
        incidents.append(entry)
