from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.baselines import time_of_day_baseline

W = timedelta(minutes=5)
PER_DAY = 288


def series(days: int, values) -> pd.Series:
    index = pd.date_range(datetime(2026, 3, 1, tzinfo=UTC), periods=days * PER_DAY, freq=W)
    return pd.Series(values, index=index, dtype=float)


def test_the_baseline_follows_the_time_of_day():
    day = np.where(np.arange(PER_DAY) < PER_DAY // 2, 2.0, 10.0)
    baseline = time_of_day_baseline(series(7, np.tile(day, 7)), width=W)
    assert baseline[10] == pytest.approx(2.0)
    assert baseline[200] == pytest.approx(10.0)


def test_one_spike_does_not_move_the_baseline_much():
    values = np.full(7 * PER_DAY, 4.0)
    values[3 * PER_DAY + 100] = 500.0
    baseline = time_of_day_baseline(series(7, values), width=W)
    assert baseline[100] < 5.0


def test_buckets_inside_incidents_are_left_out():
    values = np.full(7 * PER_DAY, 3.0)
    values[PER_DAY : 2 * PER_DAY] = 300.0
    counts = series(7, values)
    excluded = pd.Series(False, index=counts.index)
    excluded.iloc[PER_DAY : 2 * PER_DAY] = True
    baseline = time_of_day_baseline(counts, width=W, excluded=excluded)
    assert np.allclose(baseline, 3.0)


def test_short_history_falls_back_to_the_overall_level():
    day = np.where(np.arange(PER_DAY) < PER_DAY // 2, 0.0, 8.0)
    baseline = time_of_day_baseline(series(2, np.tile(day, 2)), width=W)
    assert np.allclose(baseline, baseline[0]) and 0 < baseline[0] < 8


def test_partial_days_are_refused():
    with pytest.raises(ValueError):
        time_of_day_baseline(pd.Series([1.0, 2.0]), width=W)
