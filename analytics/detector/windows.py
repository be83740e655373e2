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


def measure_noise(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(len(WINDOWS),) noise of one service's windows: the spread of log(observed / expected)
    beyond what counting alone explains, read from the upper tail of its residuals.

    `expected` must come from a baseline fitted without these buckets (out of sample): in-sample
    residuals understate the noise the detector will meet.
    """
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    noise = np.array(NOISE_PRIOR, dtype=float)
    for i, k in enumerate(WINDOWS):
        x, mu = trailing_sums(observed, k), trailing_sums(expected, k)
        known = ~(np.isnan(x) | np.isnan(mu))
        if known.sum() < MIN_SAMPLES:
            continue
        # Moments, over every window: var(X) = M + a·M² for a Poisson count whose rate carries a
        # lognormal factor with exp(noise²) = 1 + a. Not robust to bursts, and meant not to be:
        # they are what the detector must not mistake for outages (the benchmark's low and mid
        # volumes open twice as many false incidents without it). The only measure at low counts.
        x, mu = x[known], mu[known]
        a = float(np.sum((x - mu) ** 2 - x) / max(np.sum(mu**2), 1e-9))
        moments = np.sqrt(np.log1p(max(a, 0.0)))
        # Quantiles, where counts are high enough for log ratios to mean something: the upper
        # side only (an outage is a rise) at its 95th percentile rather than its middle, since
        # baselines err in runs (a moved clock, a ramp, a news day).
        high = mu >= MIN_EXPECTED
        upper = 0.0
        if high.sum() >= MIN_SAMPLES:
            residual = np.log((x[high] + 0.5) / (mu[high] + 0.5))
            middle, top = np.percentile(residual, [50.0, 95.0])
            counting = np.median(1.0 / (mu[high] + 0.5))  # var of log(Poisson) ≈ 1 / mean
            upper = np.sqrt(max((max(top - middle, 0.0) / 1.645) ** 2 - counting, 0.0))
        # Where counts are high, quantiles alone: there one burst would dominate the moments,
        # and the development set lost recall at high volume to it without fewer false alarms.
        busy = high.sum() >= MIN_SAMPLES and np.median(mu) / k >= BUSY_EXPECTED
        noise[i] = upper if busy else max(moments, upper)
    # A longer window is never noisier than a shorter one (averaging cannot add noise), and
    # where the short windows could not be measured the longer ones are the best guess.
    noise = np.minimum.accumulate(np.clip(noise, *NOISE_BOUNDS))
    return noise
