"""The first baseline: typical reports per bucket at each time of day. Pure (numpy/pandas only).

For every slot of the day (bucket index since UTC midnight) the baseline is a winsorised mean of
that slot and its two neighbours over the last full days of history, with buckets that were
inside incidents left out. While fewer than `min_days` days of history exist, every slot falls back
to the service's overall level.
"""

import warnings
from datetime import timedelta

import numpy as np
import pandas as pd


def time_of_day_baseline(
    counts: pd.Series,
    *,
    width: timedelta,
    excluded: pd.Series | None = None,
    min_days: int = 3,
    cap_percentile: float = 90.0,
) -> np.ndarray:
    """Expected reports per slot of the day.

    `counts` is a dense series of reports indexed by bucket start (aware UTC), covering whole UTC
    days (index[0] at midnight, a multiple of a day long). `excluded` is a boolean series on the
    same index marking buckets to leave out. Returns an array of length buckets-per-day.
    """
    per_day = int(timedelta(days=1) / width)
    if len(counts) == 0 or len(counts) % per_day:
        raise ValueError("counts must cover whole days of dense buckets")
    values = counts.to_numpy(dtype=float).copy()
    if excluded is not None:
        values[excluded.to_numpy(dtype=bool)] = np.nan
    matrix = values.reshape(-1, per_day)  # days × slots
    # Each slot also learns from its neighbours, which triples the samples at little cost.
    samples = np.vstack([np.roll(matrix, shift, axis=1) for shift in (-1, 0, 1)])
    days_with_data = int(np.sum(~np.all(np.isnan(matrix), axis=1)))
    if days_with_data == 0:
        return np.zeros(per_day)
    if days_with_data < min_days:
        return np.full(per_day, _winsorised_mean(samples.ravel(), cap_percentile))
    with warnings.catch_warnings():
        # Slots with no data at all yield NaN (and a warning); they get the overall level below.
        warnings.simplefilter("ignore", RuntimeWarning)
        cap = np.nanpercentile(samples, cap_percentile, axis=0)
        expected = np.nanmean(np.minimum(samples, cap), axis=0)
    overall = _winsorised_mean(samples.ravel(), cap_percentile)
    return np.where(np.isnan(expected), overall, expected)


def _winsorised_mean(values: np.ndarray, cap_percentile: float) -> float:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return 0.0
    return float(np.mean(np.minimum(values, np.percentile(values, cap_percentile))))
