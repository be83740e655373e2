"""The detector's settings: one frozen dataclass, the shipped defaults, and per-service overrides.

The opening bar is per window of closed buckets (analytics.detector.evidence.WINDOWS): a window
of k buckets opens an incident when its reports are at least `open_ratios[k]` times the baseline,
at least `open_min_reports` in all, improbable at `open_probabilities[k]` under the service's
own noise, and all but one of its buckets (both, for two) at least `still_ratio` times the baseline.
One bucket alone needs a large ratio (7×): organic bursts (a viral "is X down?" post) reach 2–5×
for a bucket or three, and a false red banner costs more than a few minutes of delay.
"""

import math
from dataclasses import dataclass, replace
from typing import Any

from analytics.detector.windows import WINDOWS


@dataclass(frozen=True)
class DetectorSettings:
    # Opening an incident (red): one ratio per window length in WINDOWS (1, 2, 3, 6, 12 buckets).
    open_ratios: tuple[float, ...] = (7.0, 5.0, 4.0, 3.5, 3.0)
    # One per window too, so that an operator can tune them apart (the bench found no gain in
    # loosening the short ones: bursts then open incidents).
    open_probabilities: tuple[float, ...] = (1e-6, 1e-6, 1e-6, 1e-6, 1e-6)
    open_min_reports: int = 10
    # "Possible problems" (amber, no incident): any window this improbable and this far above.
    possible_probability: float = 1e-3
    possible_ratio: float = 1.5
    possible_min_reports: int = 5
    # A bucket at least this many times its baseline keeps an incident open (and counts as
    # elevated inside an opening window).
    still_ratio: float = 2.0
    quiet_buckets_to_resolve: int = 3
    cooldown_buckets: int = 6
    min_partial_fraction: float = 0.2  # a bucket one second old is judged as if 20 % elapsed

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 < self.possible_probability < 1.0:
            problems.append("possible_probability must be between 0 and 1")
        if len(self.open_probabilities) != len(WINDOWS) or not all(
            0.0 < p < 1.0 for p in self.open_probabilities
        ):
            problems.append(
                f"open_probabilities must be {len(WINDOWS)} probabilities between 0 and 1"
            )
        for name in ("possible_ratio", "still_ratio"):
            if getattr(self, name) < 1.0:
                problems.append(f"{name} must be at least 1")
        for name in ("open_min_reports", "possible_min_reports"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if len(self.open_ratios) != len(WINDOWS) or min(self.open_ratios) <= 1.0:
            problems.append(
                f"open_ratios must be {len(WINDOWS)} ratios above 1, one per window "
                f"of {', '.join(map(str, WINDOWS))} buckets"
            )
        if self.quiet_buckets_to_resolve < 1 or self.cooldown_buckets < 0:
            problems.append(
                "quiet_buckets_to_resolve must be at least 1, cooldown_buckets 0 or more"
            )
        if not 0.0 < self.min_partial_fraction <= 1.0:
            problems.append("min_partial_fraction must be above 0 and at most 1")
        if problems:
            raise ValueError("; ".join(problems))


DEFAULTS = DetectorSettings()


def tuned(overrides: object, base: DetectorSettings = DEFAULTS) -> DetectorSettings:
    """`base` with some settings replaced, from JSON-like values (numbers, lists, or strings such
    as "2.5" or "8,5,3.5,3,2.5" from a command line). Raises ValueError with a readable message."""
    if not overrides:
        return base
    if not isinstance(overrides, dict):
        raise ValueError("detector settings must be an object of name: value")
    # Each value has its own field's type (a tuple, an int or a float), checked as it is parsed.
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in DetectorSettings.__dataclass_fields__:
            raise ValueError(f"unknown detector setting {name!r}")
        default = getattr(DEFAULTS, name)
        try:
            if isinstance(default, tuple):
                items = value.split(",") if isinstance(value, str) else list(value)
                changes[name] = tuple(float(item) for item in items)
                if not all(math.isfinite(item) for item in changes[name]):
                    raise ValueError
            elif isinstance(default, int):
                number = float(value)
                if isinstance(value, bool) or not number.is_integer():
                    raise ValueError
                changes[name] = int(number)
            else:
                if isinstance(value, bool):
                    raise ValueError
                changes[name] = float(value)
        except (TypeError, ValueError):
            kinds = {tuple: "a list of numbers", int: "a whole number", float: "a number"}
            raise ValueError(f"{name} must be {kinds[type(default)]}, not {value!r}") from None
        if isinstance(default, float) and not math.isfinite(changes[name]):
            raise ValueError(f"{name} must be a finite number")
    return replace(base, **changes)
