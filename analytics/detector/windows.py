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


def measure_noise(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(len(WINDOWS),) noise of one service's windows: the spread of log(observed / expected)
    beyond what counting alone explains, robust to bursts (a median absolute deviation).

    `expected` must come from a baseline fitted without these buckets (out of sample): in-sample
    residuals understate the noise the detector will meet.
    """
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    noise = np.array(NOISE_PRIOR, dtype=float)
    for i, k in enumerate(WINDOWS):
        x, mu = trailing_sums(observed, k), trailing_sums(expected, k)
        ok = ~(np.isnan(x) | np.isnan(mu)) & (mu >= MIN_EXPECTED)
        if ok.sum() < MIN_SAMPLES:
            continue
        x, mu = x[ok], mu[ok]
        residual = np.log((x + 0.5) / (mu + 0.5))
        spread = 1.4826 * np.median(np.abs(residual - np.median(residual)))
        counting = np.median(1.0 / (mu + 0.5))  # the variance of log(Poisson) ≈ 1 / mean
        noise[i] = np.sqrt(max(spread**2 - counting, 0.0))
    # A longer window is never noisier than a shorter one (averaging cannot add noise), and
    # where the short windows could not be measured the longer ones are the best guess.
    noise = np.minimum.accumulate(np.clip(noise, *NOISE_BOUNDS))
    return noise
