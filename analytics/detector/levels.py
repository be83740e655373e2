"""The three public levels and the one ratio rule every page, API and log line uses."""

from enum import IntEnum

import numpy as np
import numpy.typing as npt

# The ratio never divides by less than half a report per bucket: against an expected 0.01 a
# single report would otherwise read as 100×, and a new service as infinitely many times.
EXPECTED_FLOOR = 0.5
# Beyond this a ratio says nothing more; pages and the API show "over 1000×" / 1000.0.
RATIO_CAP = 1000.0


class Level(IntEnum):
    OK = 0
    POSSIBLE = 1
    PROBLEMS = 2

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def slug(self) -> str:
        return SLUGS[self]


LABELS = {Level.OK: "no problems", Level.POSSIBLE: "possible problems", Level.PROBLEMS: "problems"}
SLUGS = {Level.OK: "ok", Level.POSSIBLE: "possible", Level.PROBLEMS: "problems"}
CHOICES = [(level.value, level.label) for level in Level]


def elevated(observed: npt.ArrayLike, expected: npt.ArrayLike, still_ratio: float) -> np.ndarray:
    """Whether a bucket (or an array of them) is at least `still_ratio` times its baseline,
    with the same floor as `ratio`: the one test behind "nearly every bucket up" and "still up"."""
    return np.asarray(observed) >= still_ratio * np.maximum(expected, EXPECTED_FLOOR)


def ratio(observed: float, expected: float, buckets: int = 1) -> float:
    """How many times the usual count: observed / max(expected, EXPECTED_FLOOR per bucket), at
    most RATIO_CAP, rounded to one decimal."""
    value = float(observed) / max(float(expected or 0.0), EXPECTED_FLOOR * max(buckets, 1))
    return round(min(value, RATIO_CAP), 1)
