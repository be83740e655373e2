"""How surprising a count is, and what the latest windows of buckets say. Pure (numpy, scipy).

Report counts are counts, so a z-score misleads exactly where it matters: at 0–3 reports per
bucket a jump to 6 is remarkable, at 2,000 a jump to 2,100 is noise. The model is a Poisson
count whose rate carries a lognormal factor with the service's own measured noise
(analytics.detector.windows): heavier-tailed than a negative binomial, as real traffic is. Noise 0
is a plain Poisson.

`judge` takes, for many rows at once, the latest LONGEST buckets (observed and expected, the last
column the bucket being judged) and returns, per row, the bucket's level and, if a window passes
the opening bar (analytics.detector.settings), the shortest such window with its numbers.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from analytics.detector.levels import EXPECTED_FLOOR, Level, elevated
from analytics.detector.settings import DEFAULTS, DetectorSettings
from analytics.detector.windows import LONGEST, WINDOWS

# Gauss–Hermite nodes for the expectation over the lognormal factor (probabilists' weights,
# normalised). 32 nodes reach about 7.5 standard deviations: tails to ~1e-13 are resolved.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(32)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def upper_tail(
    observed: npt.ArrayLike, expected: npt.ArrayLike, noise: npt.ArrayLike = 0.0
) -> np.ndarray:
    """P(X >= observed) for X ~ Poisson(expected · exp(noise·Z − noise²/2)), Z standard normal
    (so the mean is `expected`). Vectorised; `expected` is floored at a tiny positive value so
    that a count above an expected zero is (very) surprising rather than undefined."""
    observed = np.asarray(observed, dtype=float)
    mu = np.maximum(np.asarray(expected, dtype=float), 1e-3)
    noise = np.broadcast_to(np.asarray(noise, dtype=float), np.broadcast(observed, mu).shape)
    observed, mu = np.broadcast_arrays(observed, mu)
    factor = np.exp(noise[..., None] * _NODES - noise[..., None] ** 2 / 2.0)
    tails = stats.poisson.sf(observed[..., None] - 1.0, mu[..., None] * factor)
    tail: np.ndarray = np.clip((tails * _WEIGHTS).sum(axis=-1), 0.0, 1.0)
    return tail


@dataclass(frozen=True)
class Verdicts:
    """Per row: the judged bucket's level, its own probability and ratio, and the opening
    window if one passes (`window` 0 when none; its reports, expected count and probability)."""

    level: np.ndarray
    probability: np.ndarray
    ratio: np.ndarray
    window: np.ndarray
    window_observed: np.ndarray
    window_expected: np.ndarray
    window_probability: np.ndarray


def judge(
    observed: np.ndarray,
    expected: np.ndarray,
    noise: np.ndarray,
    closed: np.ndarray,
    settings: DetectorSettings = DEFAULTS,
) -> Verdicts:
    """Judge the last column of (N, LONGEST) `observed`/`expected` (NaN where unknown).

    `noise` is (N, len(WINDOWS)). For a row whose last bucket is still filling (`closed` False)
    its expected count must already be scaled to the elapsed part, and only the one-bucket
    window can open: the others would mix a partial bucket with whole ones.
    """
    observed = np.asarray(observed, dtype=float).reshape(-1, LONGEST)
    expected = np.asarray(expected, dtype=float).reshape(-1, LONGEST)
    noise = np.asarray(noise, dtype=float).reshape(-1, len(WINDOWS))
    closed = np.broadcast_to(np.asarray(closed, dtype=bool), observed.shape[:1])
    rows = observed.shape[0]
    floor = np.maximum(expected, EXPECTED_FLOOR)
    up = elevated(observed, expected, settings.still_ratio)

    level = np.zeros(rows, dtype=int)
    window = np.zeros(rows, dtype=int)
    w_observed = np.zeros(rows)
    w_expected = np.zeros(rows)
    w_probability = np.ones(rows)
    probability = np.ones(rows)
    ratio = observed[:, -1] / floor[:, -1]
    for i, k in enumerate(WINDOWS):
        x = observed[:, -k:].sum(axis=1)
        mu = expected[:, -k:].sum(axis=1)
        valid = ~np.isnan(x) & ~np.isnan(mu) & (closed | (k == 1))
        x, mu = np.nan_to_num(x), np.nan_to_num(mu)
        r = x / np.maximum(mu, EXPECTED_FLOOR * k)
        # All but one of the window's buckets (both of two) elevated, the latest among them: a
        # window that only remembers a burst does not open anything.
        needed = k if k <= 2 else k - 1
        persistent = (up[:, -k:].sum(axis=1) >= needed) & up[:, -1]
        opens = (
            valid & (r >= settings.open_ratios[i]) & (x >= settings.open_min_reports) & persistent
        )
        amber = valid & (r >= settings.possible_ratio) & (x >= settings.possible_min_reports)
        # The tail probability is the costly part: only where the cheap gates pass.
        candidates = opens | amber | ((k == 1) & valid)
        p = np.ones(rows)
        if candidates.any():
            p[candidates] = upper_tail(x[candidates], mu[candidates], noise[candidates, i])
        if k == 1:
            probability = p
        opens &= p <= settings.open_probabilities[i]
        amber &= p <= settings.possible_probability
        level = np.maximum(level, np.where(amber, Level.POSSIBLE, Level.OK))
        first = opens & (window == 0)
        window[first] = k
        w_observed[first], w_expected[first], w_probability[first] = x[first], mu[first], p[first]
    level = np.where(window > 0, Level.PROBLEMS, level)
    return Verdicts(level, probability, ratio, window, w_observed, w_expected, w_probability)
