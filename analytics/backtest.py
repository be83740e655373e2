"""Running the detector causally over a recorded series: the `backtest` command and benchmarks.

The same baselines and detector as the live pipeline, with the same defaults, through the same
replay loop (analytics.detector.replay.replay_causally); this module reads the CSV and shapes
the result.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.detector.baselines import BASELINE_DEFAULTS, BaselineSettings
from analytics.detector.levels import Level
from analytics.detector.machine import IncidentState, Status
from analytics.detector.replay import replay_causally
from analytics.detector.settings import DEFAULTS, DetectorSettings


class BacktestError(ValueError):
    """The input cannot be backtested; the message is one line saying why."""


@dataclass(frozen=True)
class BacktestIncident:
    start: datetime
    detected: datetime  # when the detector decided: the end of the bucket whose evidence opened it
    peak: datetime
    end: datetime | None  # None: still open at the end of the series
    level: str
    observed: int  # the deciding window's reports, expected count and probability
    expected: float
    probability: float
    buckets: int  # the deciding window's length
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
    noise: np.ndarray | None = None  # per bucket: the noise in force, one per window
    probability: np.ndarray | None = None  # per bucket
    index: pd.DatetimeIndex | None = None

    def buckets_at(self, level: Level) -> list[datetime]:
        assert self.index is not None, "run_backtest fills in every bucket"
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
    start = series.index[0].to_pydatetime()
    replayed = replay_causally(
        series.to_numpy(dtype=float), start, width, settings, baseline_settings
    )
    return BacktestResult(
        width=width,
        start=start,
        end=series.index[-1].to_pydatetime() + width,
        incidents=[_entry(i) for i in replayed.incidents],
        levels=replayed.levels,
        expected=replayed.expected,
        noise=replayed.noise,
        probability=replayed.probability,
        index=series.index,
    )


def _entry(state: IncidentState) -> BacktestIncident:
    return BacktestIncident(
        start=state.started_at,
        detected=state.detected_at,
        peak=state.peak_at,
        end=state.ended_at if state.status == Status.RESOLVED else None,
        level=Level(state.level).label,
        observed=state.opened_reports,
        expected=round(state.opened_expected, 3),
        probability=state.opened_probability,
        buckets=state.opened_buckets,
        peak_observed=state.peak_reports,
        peak_expected=round(state.peak_expected, 3),
        peak_probability=state.peak_probability,
    )
