"""How surprising a count is: the upper-tail probability under a count model. Pure (scipy).

Report counts are counts, so a z-score misleads exactly where it matters: at 0–3 reports per
bucket a jump to 6 is remarkable, at 2,000 a jump to 2,100 is noise. The model is a negative
binomial with mean `expected` and variance `expected + alpha * expected**2`; alpha (the
over-dispersion) is estimated per service from quiet periods, and alpha = 0 is Poisson.
"""

import numpy as np
from scipy import stats

# Below this alpha the negative binomial is numerically a Poisson.
_POISSON_ALPHA = 1e-6


def upper_tail(observed, expected, alpha=0.0) -> np.ndarray:
    """P(X >= observed) for X ~ NB(mean=expected, var=expected + alpha·expected²).

    Vectorised over arrays; `expected` is floored at a tiny positive value so that a count above
    an expected zero is (very) surprising rather than undefined.
    """
    observed = np.asarray(observed, dtype=float)
    mu = np.maximum(np.asarray(expected, dtype=float), 1e-3)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), mu.shape)
    k = observed - 1  # sf(k) = P(X > k) = P(X >= observed)
    poisson = stats.poisson.sf(k, mu)
    size = 1.0 / np.maximum(alpha, _POISSON_ALPHA)
    negbin = stats.nbinom.sf(k, size, size / (size + mu))
    return np.where(alpha < _POISSON_ALPHA, poisson, negbin)


def estimate_dispersion(observed: np.ndarray, expected: np.ndarray, cap: float = 1.0) -> float:
    """Method-of-moments alpha from quiet buckets: E[(x - mu)² - x] = alpha·mu².

    NaNs are ignored. Returns 0 (Poisson) when the data show no extra variance, and at most `cap`
    so that a noisy estimate never makes every outage look ordinary.
    """
    x = np.asarray(observed, dtype=float)
    mu = np.asarray(expected, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(mu)) & (mu > 0)
    if ok.sum() < 50:
        return 0.0
    x, mu = x[ok], mu[ok]
    alpha = float(np.sum((x - mu) ** 2 - x) / np.sum(mu**2))
    return float(np.clip(alpha, 0.0, cap))
