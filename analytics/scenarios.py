"""Synthetic report traffic: daily rhythms with noise and a cloud-suite outage. Pure (numpy).

Used by the `simulate` command (the demo) and by tests; the benchmarks of detection will reuse it.
The outage is modelled on the morning a productivity suite fails across North America: several
services of one group spike together within minutes, mostly from one region; the vendor's fix
lands, reports fall fast, and a tail lingers for a while.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

# Where reports come from on a normal day (share of reports), roughly by online population.
NORMAL_COUNTRIES = {
    "US": 0.36, "GB": 0.09, "DE": 0.07, "IN": 0.08, "BR": 0.06, "CA": 0.05, "FR": 0.05,
    "JP": 0.04, "AU": 0.03, "NL": 0.03, "ES": 0.03, "IT": 0.03, "MX": 0.03, "PL": 0.02, "SE": 0.01,
    "ZA": 0.01, "IE": 0.01,
}  # fmt: skip
NORTH_AMERICA = {"US": 0.82, "CA": 0.12, "MX": 0.06}


@dataclass(frozen=True)
class ServiceProfile:
    slug: str
    base_rate: float  # mean reports per bucket at the daily peak
    problem_weights: tuple[float, ...]  # one per problem type, in button order
    utc_offset_hours: float = -5.0  # where most of its users live (shapes the daily rhythm)


@dataclass(frozen=True)
class Outage:
    """A spike of several services: multiplier per service slug at the plateau."""

    start: datetime
    multipliers: dict[str, float]
    ramp: timedelta = timedelta(minutes=10)
    plateau: timedelta = timedelta(minutes=45)
    tail: timedelta = timedelta(minutes=40)
    countries: dict[str, float] = field(default_factory=lambda: dict(NORTH_AMERICA))
    regional_share: float = 0.8  # share of the excess reports from `countries`
    problem_index: int = 0  # the problem most outage reports name (login)
    tail_share: float = 0.15  # the lingering tail starts at this share of the excess

    @property
    def fixed_at(self) -> datetime:
        """When the fix lands: the end of the plateau."""
        return self.start + self.ramp + self.plateau

    def factor(self, slug: str, moment: datetime) -> float:
        """How many times the normal rate this service sees at `moment` (1.0 when unaffected)."""
        peak = self.multipliers.get(slug)
        if peak is None or moment < self.start:
            return 1.0
        elapsed = moment - self.start
        if elapsed < self.ramp:
            return 1.0 + (peak - 1.0) * (elapsed / self.ramp)
        if elapsed < self.ramp + self.plateau:
            return peak
        after_fix = elapsed - self.ramp - self.plateau
        if after_fix < self.tail:
            # The fix lands: most reports stop at once, a decaying tail lingers.
            lingering = self.tail_share * (peak - 1.0) * math.exp(-3.0 * (after_fix / self.tail))
            return 1.0 + lingering
        return 1.0


def daily_rhythm(moment: datetime, utc_offset_hours: float) -> float:
    """Relative activity at `moment` for users at that UTC offset: ~0.2 at night, 1.0 at peak."""
    local = moment + timedelta(hours=utc_offset_hours)
    hour = local.hour + local.minute / 60
    day_curve = 0.5 - 0.5 * math.cos(2 * math.pi * (hour - 4) / 24)  # low at 04:00, high at 16:00
    weekend = 0.8 if local.weekday() >= 5 else 1.0
    return weekend * (0.2 + 0.8 * day_curve)


@dataclass(frozen=True)
class SimulatedReport:
    slug: str
    created_at: datetime
    problem_index: int
    country: str


def _choose(rng: np.random.Generator, weights: dict[str, float], size: int) -> list[str]:
    keys = list(weights)
    probs = np.array([weights[k] for k in keys], dtype=float)
    return list(rng.choice(keys, size=size, p=probs / probs.sum()))


def generate_reports(
    rng: np.random.Generator,
    profiles: list[ServiceProfile],
    start: datetime,
    end: datetime,
    outage: Outage | None = None,
    step: timedelta = timedelta(minutes=1),
) -> list[SimulatedReport]:
    """Counted reports for [start, end), drawn per `step` from Poisson at the modelled rate."""
    reports: list[SimulatedReport] = []
    per_bucket_steps = timedelta(minutes=5) / step
    moment = start
    while moment < end:
        span = min(step, end - moment)
        fraction = span / step
        for profile in profiles:
            normal = profile.base_rate * daily_rhythm(moment, profile.utc_offset_hours)
            factor = outage.factor(profile.slug, moment) if outage else 1.0
            normal_n = rng.poisson(normal * fraction / per_bucket_steps)
            extra_n = rng.poisson(normal * (factor - 1.0) * fraction / per_bucket_steps)
            if normal_n + extra_n == 0:
                continue
            weights = np.array(profile.problem_weights, dtype=float)
            problems = list(rng.choice(len(weights), size=normal_n, p=weights / weights.sum()))
            countries = _choose(rng, NORMAL_COUNTRIES, normal_n)
            if extra_n and outage is not None:  # without an outage, extra_n is always 0
                regional = rng.random(extra_n) < outage.regional_share
                local = _choose(rng, outage.countries, extra_n)
                anywhere = _choose(rng, NORMAL_COUNTRIES, extra_n)
                countries += [
                    a if r else b for r, a, b in zip(regional, local, anywhere, strict=True)
                ]
                main = rng.random(extra_n) < 0.7
                others = rng.choice(len(weights), size=extra_n, p=weights / weights.sum())
                problems += [
                    outage.problem_index if m else int(o) for m, o in zip(main, others, strict=True)
                ]
            offsets = rng.random(normal_n + extra_n) * span.total_seconds()
            for offset, problem, country in zip(offsets, problems, countries, strict=True):
                reports.append(
                    SimulatedReport(
                        slug=profile.slug,
                        created_at=moment + timedelta(seconds=float(offset)),
                        problem_index=int(problem),
                        country=str(country),
                    )
                )
        moment += span
    return reports


def profiles_for(services: list[tuple[str, int]], seed: int = 7) -> list[ServiceProfile]:
    """Give each (slug, number of problem types) a stable popularity and problem mix."""
    rng = np.random.default_rng(seed)
    profiles = []
    for slug, problem_count in services:
        # Popularity is heavy-tailed: a few services get most reports.
        base = float(np.clip(rng.lognormal(mean=0.6, sigma=0.8), 0.3, 14.0))
        weights = tuple(float(w) for w in rng.dirichlet(np.ones(problem_count) * 2.0))
        offset = float(rng.choice([-5.0, -5.0, -6.0, 0.0, 1.0]))
        profiles.append(ServiceProfile(slug, base, weights, offset))
    return profiles


CLOUD_SUITE_MULTIPLIERS = {
    "outlook": 40.0,
    "exchange-online": 30.0,
    "microsoft-teams": 25.0,
    "onedrive": 8.0,
    "sharepoint": 8.0,
    "microsoft-defender": 5.0,
    "microsoft-purview": 4.0,
}
