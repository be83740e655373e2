"""Windows of consecutive buckets, and how noisy each service's windows are. Pure (numpy).

The detector weighs the latest 1, 2, 3, 6 and 12 closed buckets together. Real crowd traffic is
noisier than any count model: the rate itself wanders (a lognormal factor on top of Poisson
counting), and neighbouring buckets wander together, so a window of 6 buckets is not 6
independent draws. Rather than assume either, each service's noise is measured per window
length on its own recent history, out of sample (analytics.detector.baselines).
"""

import numpy as np

WINDOWS = (1, 2, 3, 6, 12)
LONGEST = max(WINDOWS)
# Noise (the standard deviation of the log rate) per window assumed when there is too little to
# measure (longer windows average some of it away, but neighbouring buckets move together), and
# the bounds of a measurement: never below the error of a baseline itself, never so high that
# every outage looks ordinary.
NOISE_PRIOR = (0.35, 0.3, 0.27, 0.22, 0.18)
# Before a day of history there is nothing to measure against: assume a noisy service.
NOISE_UNKNOWN = 0.7
NOISE_BOUNDS = (0.1, 1.5)
# Windows whose expected count is below this say little about the rate (counting noise
# dominates), so they do not enter the measurement.
MIN_EXPECTED = 3.0
MIN_SAMPLES = 100
BUSY_EXPECTED = 30.0  # per bucket


def trailing_sums(values: np.ndarray, k: int) -> np.ndarray:
    """Sums of the k values ending at each position of the last axis (NaN for the first k-1)."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    if values.shape[-1] < k:
        return out
    cumulative = np.cumsum(np.nan_to_num(values, nan=0.0), axis=-1)
    padded = np.concatenate([np.zeros(values.shape[:-1] + (1,)), cumulative], axis=-1)
    sums = padded[..., k:] - padded[..., :-k]
    missing = np.cumsum(np.isnan(values), axis=-1)
    missing = np.concatenate([np.zeros(values.shape[:-1] + (1,)), missing], axis=-1)
    gaps = missing[..., k:] - missing[..., :-k]
    out[..., k - 1 :] = np.where(gaps > 0, np.nan, sums)
    return out


def _row_percentiles(values: np.ndarray, keep: np.ndarray, q: float) -> np.ndarray:
    """Each row's q-th percentile of the values where `keep` (linear interpolation, as
    numpy's default; NaN for a row with none): one sort for all rows instead of a call each."""
    ordered = np.sort(np.where(keep, values, np.inf), axis=1)
    count = keep.sum(axis=1)
    position = q / 100.0 * np.maximum(count - 1, 0)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, np.maximum(count - 1, 0))
    rows = np.arange(len(values))
    a, b = ordered[rows, low], ordered[rows, high]
    with np.errstate(invalid="ignore"):
        result = a + (b - a) * (position - low)
    percentiles: np.ndarray = np.where(count > 0, np.where(high == low, a, result), np.nan)
    return percentiles


def measure_noise(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(len(WINDOWS),) noise of one service's windows (measure_noise_of_rows for one row)."""
    noise: np.ndarray = measure_noise_of_rows(np.atleast_2d(observed), np.atleast_2d(expected))[0]
    return noise


def measure_noise_of_rows(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(S, len(WINDOWS)) noise of each service's windows: the spread of log(observed / expected)
    beyond what counting alone explains, read from the upper tail of its residuals.

    `expected` must come from a baseline fitted without these buckets (out of sample): in-sample
    residuals understate the noise the detector will meet. All services at once: a call per
    service cost a third of the hourly rebuild.
    """
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    services = observed.shape[0]
    noise = np.tile(np.array(NOISE_PRIOR, dtype=float), (services, 1))
    for i, k in enumerate(WINDOWS):
        x, mu = trailing_sums(observed, k), trailing_sums(expected, k)
        known = ~(np.isnan(x) | np.isnan(mu))
        measured = known.sum(axis=1) >= MIN_SAMPLES
        x, mu = np.where(known, x, 0.0), np.where(known, mu, 0.0)
        # Moments, over every window: var(X) = M + a·M² for a Poisson count whose rate carries a
        # lognormal factor with exp(noise²) = 1 + a. Not robust to bursts, and meant not to be:
        # they are what the detector must not mistake for outages (the benchmark's low and mid
        # volumes open twice as many false incidents without it). The only measure at low counts.
        a = np.sum((x - mu) ** 2 - x, axis=1) / np.maximum(np.sum(mu**2, axis=1), 1e-9)
        moments = np.sqrt(np.log1p(np.maximum(a, 0.0)))
        # Quantiles, where counts are high enough for log ratios to mean something: the upper
        # side only (an outage is a rise) at its 95th percentile rather than its middle, since
        # baselines err in runs (a moved clock, a ramp, a news day).
        high = known & (mu >= MIN_EXPECTED)
        quantiles = high.sum(axis=1) >= MIN_SAMPLES
        residual = np.log((x + 0.5) / (mu + 0.5))
        middle = _row_percentiles(residual, high, 50.0)
        top = _row_percentiles(residual, high, 95.0)
        counting = _row_percentiles(1.0 / (mu + 0.5), high, 50.0)  # var of log(Poisson) ≈ 1/mean
        with np.errstate(invalid="ignore"):
            spread = (np.maximum(top - middle, 0.0) / 1.645) ** 2 - counting
            upper = np.where(quantiles, np.sqrt(np.maximum(spread, 0.0)), 0.0)
        # Where counts are high, quantiles alone: there one burst would dominate the moments,
        # and the development set lost recall at high volume to it without fewer false alarms.
        busy = quantiles & (_row_percentiles(mu, known, 50.0) / k >= BUSY_EXPECTED)
        chosen = np.where(busy, upper, np.maximum(moments, upper))
        noise[:, i] = np.where(measured, chosen, noise[:, i])
    # A longer window is never noisier than a shorter one (averaging cannot add noise), and
    # where the short windows could not be measured the longer ones are the best guess.
    return np.minimum.accumulate(np.clip(noise, *NOISE_BOUNDS), axis=1)
