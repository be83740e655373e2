"""Seasonal baselines: what count is normal for each service at each 5-minute slot of the week.

Pure (numpy), vectorised over many services at once. For each slot of the week:

1. **Weekly profile:** a winsorised mean (values above the slot's 90th percentile capped) of the
   same slot and its two neighbours over the last `weeks` weeks. Buckets inside incidents are
   left out (NaN), so an outage never teaches the baseline that outages are normal.
2. **Shrinkage towards time of day:** where the weekly estimate differs from the time-of-day
   profile of the last two weeks by no more than its own Poisson noise (few samples, low volume,
   a new service), it leans on the time-of-day profile; where the difference is real (quiet
   weekends) it keeps the weekly one. With fewer than two days of history every slot uses the
   service's overall level; with none, zero.
3. **Level factor:** the last `level_days` days' actual total over what the profile predicted for
   them (with a small prior), clipped to [0.5, 2]: growth and drift are followed within days
   without letting one odd day redraw the whole week.
4. **Incidents are left out, up to a point:** only their first `max_excluded` hours, so a lasting
   change becomes the new normal instead of an incident that never ends.
5. **Noise:** how far each window length (analytics.detector.windows) wanders beyond counting
   noise, judged out of sample: the baseline is refitted without the last week and its errors on
   that week give the noise (in-sample residuals understate the noise the detector will meet).
"""

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from analytics.detector.windows import NOISE_UNKNOWN, WINDOWS, measure_noise_of_rows

DAYS_PER_WEEK = 7
# Slot 0 of the week is Monday 00:00 UTC.
WEEK_ORIGIN = datetime(1970, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class BaselineSettings:
    weeks: int = 8
    noise_floor: float = 0.1  # smallest mean assumed when weighing weekly against daily
    cap_percentile: float = 90.0
    level_days: int = 7
    # Recent days weigh more: a day's weight halves every `level_half_life`, so a level shift is
    # mostly followed within a day or two instead of creeping in over the whole window.
    level_half_life: timedelta = timedelta(hours=24)
    level_prior: float = 20.0
    level_cap: float = 2.0
    level_bounds: tuple[float, float] = (0.5, 2.0)
    daily_days: int = 14
    noise_days: int = 14  # in-sample noise, while the history is too short for a holdout
    # Only the first hours of an incident are left out of the baseline. A change that lasts longer
    # is the new normal (a level shift, a product launch); leaving it out for good would keep the
    # baseline at the old level and the incident open for ever.
    max_excluded: timedelta = timedelta(hours=6)
    holdout_days: int = 7  # noise is judged out of sample on the last days
    # A past day whose total is outside these bounds of its weekday's median is left out.
    unusual_day_bounds: tuple[float, float] = (0.7, 1.4)
    unusual_day_min_total: float = 100.0
    # A run of zeros this unlikely (its neighbours' rate times its length, in expected reports)
    # is missing data (a collection outage), not a quiet spell: left out, like no history.
    missing_run_expected: float = 20.0
    missing_run_min: int = 6
    # The daily profile may move by an hour (daylight saving time where the users live): if the
    # last days fit the profile moved by `clock_shift` clearly better, the moved one is used.
    clock_shift: timedelta = timedelta(hours=1)
    clock_shift_days: int = 2
    clock_shift_gain: float = 0.85  # the moved profile's error must be below this share


BASELINE_DEFAULTS = BaselineSettings()


@dataclass(frozen=True)
class Baselines:
    """Fitted baselines for S services."""

    expected: np.ndarray  # (S, slots per week), level factor included
    noise: np.ndarray  # (S, len(WINDOWS)): analytics.detector.windows.measure_noise_of_rows
    level: np.ndarray  # (S,)
    history_days: np.ndarray  # (S,) days with at least one non-missing bucket


def slot_of_week(moment: datetime, width: timedelta) -> int:
    """Index of the bucket containing `moment` within its week (Monday 00:00 UTC = 0)."""
    per_week = int(timedelta(days=7) / width)
    return int(((moment - WEEK_ORIGIN) // width) % per_week)


def _winsorised_mean(samples: np.ndarray, axis: int, cap_percentile: float) -> np.ndarray:
    """Mean along `axis` ignoring NaN, after capping values above the given percentile.

    Done with one sort (NaNs sort last) rather than np.nanpercentile, which is far slower on
    many short rows.
    """
    ordered = np.sort(samples, axis=axis)
    valid = np.sum(~np.isnan(samples), axis=axis, keepdims=True)
    rank = np.clip(np.ceil(valid * cap_percentile / 100.0).astype(int) - 1, 0, None)
    cap = np.take_along_axis(ordered, rank, axis=axis)
    capped = np.where(np.isnan(ordered), 0.0, np.minimum(ordered, cap))
    valid = np.squeeze(valid, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):  # all-NaN slots give NaN, handled later
        return np.where(valid > 0, capped.sum(axis=axis) / valid, np.nan)


def _with_neighbours(grid: np.ndarray) -> np.ndarray:
    """(S, rows, slots) → (S, 3·rows, slots): each slot also sees its two neighbours."""
    return np.concatenate([np.roll(grid, shift, axis=2) for shift in (-1, 0, 1)], axis=1)


def _noise(
    values: np.ndarray,
    first_slot: int,
    per_day: int,
    expected: np.ndarray,
    fitted: np.ndarray,
    settings: BaselineSettings,
) -> np.ndarray:
    """(S, len(WINDOWS)) noise as the detector will meet it: out of sample.

    In-sample residuals understate the noise (the profile was fitted to them; trends and shifts
    are absorbed), which made ordinary days look surprising. With enough history, the baseline is
    refitted without the last `holdout_days` and judged on them; otherwise in-sample residuals are
    used, and with less than a day the prior.
    """
    services, length = values.shape
    holdout = settings.holdout_days * per_day
    if settings.holdout_days and length >= holdout + 7 * per_day:
        # The profile alone: the earlier fit's own noise would not be used.
        earlier = _profile(values[:, :-holdout], first_slot, per_day, None, settings)[0]
        per_week = expected.shape[1]
        slots = (first_slot + length - holdout + np.arange(holdout)) % per_week
        return measure_noise_of_rows(values[:, -holdout:], earlier[:, slots])
    if length < per_day:
        return np.full((services, len(WINDOWS)), NOISE_UNKNOWN)
    window = slice(max(0, length - settings.noise_days * per_day), length)
    return measure_noise_of_rows(values[:, window], fitted[:, window])


def _fill_gaps_from_neighbours(expected: np.ndarray) -> None:
    """Slots with too few samples (say, the hours of a long incident, left out every day) take
    the values of the nearest slots around them, circularly, rather than the service's overall
    level, which at the afternoon peak is far too low."""
    for row in np.nonzero(np.isnan(expected).any(axis=1))[0]:
        values = expected[row]
        known = np.nonzero(~np.isnan(values))[0]
        if len(known) == 0:
            continue
        size = len(values)
        positions = np.concatenate([known - size, known, known + size])
        filled = np.interp(np.arange(size), positions, np.tile(values[known], 3))
        expected[row] = np.where(np.isnan(values), filled, values)


def _unusual_days(grid: np.ndarray, per_day: int, settings: BaselineSettings) -> np.ndarray:
    """(S, days) mask of whole days far from their weekday's typical total: holidays, days
    of a past outage or of a data gap. One Christmas must not make every Thursday look quiet.

    A day is judged against the days around it as well as its weekday: after a level shift,
    every later day is far from the old weekday median, but not from its neighbours, so it stays
    (and the level factor does the rest) instead of leaving some weekdays at the old level.
    """
    services, cells = grid.shape
    per_week = per_day * DAYS_PER_WEEK
    days = grid.reshape(services, cells // per_day, per_day)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        totals = np.nanmean(days, axis=2) * per_day  # a day's total, missing buckets filled in
        by_weekday = totals.reshape(services, cells // per_week, DAYS_PER_WEEK)
        weekday = np.nanmedian(by_weekday, axis=1)  # (S, 7)
        seen = np.sum(~np.isnan(by_weekday), axis=1)
        any_day = np.nanmedian(totals, axis=1, keepdims=True)
        # A weekday seen fewer than three times is compared with the median day instead.
        typical = np.tile(np.where(seen >= 3, weekday, any_day), cells // per_week)
        relative = totals / typical
        half = DAYS_PER_WEEK // 2
        padded = np.pad(relative, ((0, 0), (half, half)), constant_values=np.nan)
        around = np.stack([padded[:, k : k + relative.shape[1]] for k in range(2 * half + 1)])
        local = np.nanmedian(around, axis=0)  # the level of the surrounding week
    low, high = settings.unusual_day_bounds
    judged = typical >= settings.unusual_day_min_total  # too few reports to tell otherwise
    unusual: np.ndarray = judged & ((relative < low * local) | (relative > high * local))
    return unusual


def _missing_runs(values: np.ndarray, settings: BaselineSettings) -> np.ndarray:
    """(S, T) mask of runs of zeros that the rate around them makes all but impossible.

    A run of `span` zeros is judged against the mean of the known buckets within `span` on each
    side. All runs of all rows at once, with cumulative sums: sparse services have thousands of
    runs each, and a loop over them cost most of the rebuild."""
    services, length = values.shape
    edges = np.zeros((services, length + 2), dtype=np.int8)
    edges[:, 1:-1] = values == 0
    change = np.diff(edges, axis=1)
    rows, starts = np.nonzero(change == 1)  # row-major order: the ends pair up with the starts
    ends = np.nonzero(change == -1)[1]
    spans = ends - starts
    long = spans >= settings.missing_run_min
    rows, starts, ends, spans = rows[long], starts[long], ends[long], spans[long]
    known = ~np.isnan(values)
    total = np.zeros((services, length + 1))
    total[:, 1:] = np.cumsum(np.where(known, values, 0.0), axis=1)
    seen = np.zeros((services, length + 1))
    seen[:, 1:] = np.cumsum(known, axis=1)
    before, after = np.maximum(starts - spans, 0), np.minimum(ends + spans, length)

    def around(cumulative: np.ndarray) -> np.ndarray:
        sums: np.ndarray = (
            cumulative[rows, starts]
            - cumulative[rows, before]
            + cumulative[rows, after]
            - cumulative[rows, ends]
        )
        return sums

    count = around(seen)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = around(total) / count
    flagged = (count > 0) & (mean * spans >= settings.missing_run_expected)
    marks = np.zeros((services, length + 1), dtype=np.int32)
    np.add.at(marks, (rows[flagged], starts[flagged]), 1)
    np.add.at(marks, (rows[flagged], ends[flagged]), -1)
    return np.cumsum(marks, axis=1)[:, :length] > 0


def _weekday_factors(days: np.ndarray) -> np.ndarray:
    """(S, 7) each weekday's level over the average day (1 where it cannot be told), from day
    totals relative to their own week, so growth and level shifts do not leak into it."""
    services, count, per_day = days.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        totals = np.nanmean(days, axis=2)  # (S, days): missing buckets filled in
        weeks = totals.reshape(services, -1, DAYS_PER_WEEK)
        week_mean = np.nanmean(weeks, axis=2, keepdims=True)
        relative = weeks / week_mean
        factors = np.nanmedian(relative, axis=1)  # (S, 7)
    factors = np.where(np.isfinite(factors) & (factors > 0), factors, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        factors = factors / np.nanmean(factors, axis=1, keepdims=True)
    return np.where(np.isfinite(factors), factors, 1.0)


def _overdispersion(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(S,) in-sample `a` of var = m + a·m², by moments (0 when counting explains it all)."""
    ok = ~(np.isnan(observed) | np.isnan(expected)) & (expected > 0)
    x, mu = np.where(ok, observed, 0.0), np.where(ok, expected, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = ((x - mu) ** 2 - x).sum(axis=1) / (mu**2).sum(axis=1)
    dispersion: np.ndarray = np.clip(np.nan_to_num(a), 0.0, 2.0)
    return dispersion


def _not_recurring(excluded: np.ndarray, first_slot: int, per_day: int) -> np.ndarray:
    """The excluded buckets less those whose time of week (within an hour) was excluded in
    another week too. Outages do not keep an appointment; a rise every Friday evening is the
    service's Friday evening, and leaving it out would make the next one an incident again."""
    services, length = excluded.shape
    per_week = per_day * DAYS_PER_WEEK
    rows = (first_slot + length + per_week - 1) // per_week
    grid = np.zeros((services, rows * per_week), dtype=bool)
    grid[:, first_slot : first_slot + length] = excluded
    weeks = grid.reshape(services, rows, per_week)
    hour = max(1, per_day // 24)
    near = np.zeros_like(weeks)
    for shift in range(-hour, hour + 1):
        near |= np.roll(weeks, shift, axis=2)
    recurring = near.sum(axis=1) >= 2  # (S, per_week): in two weeks or more
    keep = weeks & ~recurring[:, None, :]
    kept: np.ndarray = keep.reshape(services, -1)[:, first_slot : first_slot + length]
    return kept


def _moved_clock(
    expected: np.ndarray,
    raw: np.ndarray,
    first_slot: int,
    per_day: int,
    settings: BaselineSettings,
) -> np.ndarray:
    """The weekly profile, moved by ±clock_shift where the last days clearly fit that better."""
    step = int(settings.clock_shift / (timedelta(days=1) / per_day))
    recent = settings.clock_shift_days * per_day
    length = raw.shape[1]
    if step <= 0 or length < 7 * per_day + recent:
        return expected
    per_week = expected.shape[1]
    slots = (first_slot + np.arange(length - recent, length)) % per_week
    actual = raw[:, -recent:]
    seen = ~np.isnan(actual)

    def error(profile: np.ndarray) -> np.ndarray:
        gap = np.abs(np.log1p(np.nan_to_num(actual)) - np.log1p(profile[:, slots]))
        total: np.ndarray = np.where(seen, gap, 0.0).sum(axis=1)
        return total

    candidates = [expected, np.roll(expected, step, axis=1), np.roll(expected, -step, axis=1)]
    errors = np.stack([error(c) for c in candidates])  # (3, S)
    best = np.argmin(errors, axis=0)
    moved = errors[best, np.arange(len(best))] < settings.clock_shift_gain * errors[0]
    choice = np.where(moved, best, 0)
    return np.stack(candidates)[choice, np.arange(len(choice))]


def fit_baselines(
    counts: np.ndarray,
    first_slot: int,
    per_day: int,
    excluded: np.ndarray | None = None,
    settings: BaselineSettings = BASELINE_DEFAULTS,
) -> Baselines:
    """Fit baselines from dense history.

    `counts` is (S, T) reports per bucket, NaN where there is no history yet (before the service
    existed); the last column is the bucket just before the baseline applies. `first_slot` is the
    slot of the week of column 0. `excluded` (S, T) marks buckets to leave out (incidents).
    """
    expected, level, history_days, values, first_slot, predicted = _profile(
        counts, first_slot, per_day, excluded, settings
    )
    noise = _noise(values, first_slot, per_day, expected, predicted * level[:, None], settings)
    return Baselines(expected=expected, noise=noise, level=level, history_days=history_days)


# expected, level, history_days, the kept values, their first slot, the profile's prediction
_Profile = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]


def _profile(
    counts: npt.ArrayLike,
    first_slot: int,
    per_day: int,
    excluded: npt.ArrayLike | None,
    settings: BaselineSettings,
) -> _Profile:
    """fit_baselines without the noise: (expected, level, history_days) and what the noise is
    measured on (the kept history, its first slot, the profile's prediction for it)."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    services, length = counts.shape
    per_week = per_day * DAYS_PER_WEEK
    raw = counts.copy()  # incidents included: for the level factor
    raw[_missing_runs(raw, settings)] = np.nan
    values = raw.copy()
    if excluded is not None:
        values[_not_recurring(np.atleast_2d(excluded), first_slot, per_day)] = np.nan

    # Keep the last `weeks` weeks and lay them on a week grid starting at slot 0.
    keep = settings.weeks * per_week
    if length > keep:
        first_slot = (first_slot + length - keep) % per_week
        values, raw, length = values[:, -keep:], raw[:, -keep:], keep
    rows = (first_slot + length + per_week - 1) // per_week
    grid = np.full((services, rows * per_week), np.nan)
    grid[:, first_slot : first_slot + length] = values
    weekly_grid = grid.reshape(services, rows, per_week)

    unusual = _unusual_days(grid, per_day, settings)
    grid.reshape(services, -1, per_day)[unusual] = np.nan
    weekly_samples = _with_neighbours(weekly_grid)
    weekly = _winsorised_mean(weekly_samples, 1, settings.cap_percentile)
    weekly_n = np.sum(~np.isnan(weekly_samples), axis=1)
    weeks_seen = np.sum(~np.isnan(weekly_grid), axis=1)  # distinct weeks behind each slot

    # Time of day over the recent days, from the same grid seen as days, each day divided by
    # its weekday's factor (a Sunday at half a Monday's level still has a time-of-day shape).
    daily_grid = grid.reshape(services, rows * DAYS_PER_WEEK, per_day)
    factors = _weekday_factors(daily_grid)  # (S, 7)
    day_factor = np.tile(factors, rows)[:, :, None]  # (S, days, 1)
    last_day = (first_slot + length - 1) // per_day
    first_day = max(0, last_day + 1 - settings.daily_days)
    scaled = daily_grid / day_factor
    daily_samples = _with_neighbours(scaled[:, first_day : last_day + 1, :])
    daily = _winsorised_mean(daily_samples, 1, settings.cap_percentile)
    daily_n = np.sum(~np.isnan(daily_samples), axis=1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        overall = np.nanmean(values, axis=1)
    history_days = np.sum(~np.all(np.isnan(daily_grid), axis=2), axis=1)

    # The time-of-day profile laid over the week at each weekday's level.
    daily_week = (np.where(daily_n > 0, daily, np.nan)[:, None, :] * factors[:, :, None]).reshape(
        services, per_week
    )
    daily_week_n = np.tile(daily_n, DAYS_PER_WEEK)
    # Trust the weekly estimate as far as its difference from the time-of-day one exceeds its
    # own noise: an empirical-Bayes weight per slot. The noise of a mean of counts is not
    # Poisson's (mean / samples): the rate itself wanders (over-dispersion `a`, var = m + a·m²)
    # and the three neighbouring slots of one week wander together, so the samples behind a
    # slot are worth about 1.5 per week, not 3.
    weekly_0, daily_0 = np.nan_to_num(weekly), np.nan_to_num(daily_week)
    a = _overdispersion(grid.reshape(services, -1), np.tile(daily_0, rows))
    m = np.maximum(np.maximum(weekly_0, daily_0), settings.noise_floor)
    noise = (m + a[:, None] * m**2) / np.maximum(1.5 * weeks_seen, 1)
    gap = (weekly_0 - daily_0) ** 2
    # Positive-part James-Stein: only the part of the gap beyond the noise earns trust.
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where((weekly_n > 0) & (gap > 0), np.clip(1 - noise / gap, 0.0, 1.0), 0.0)
    # One week alone is not a weekly pattern (it may be an odd day, a gap, a past outage).
    weight = np.where(weeks_seen >= 2, weight, 0.0)
    blended = weight * weekly_0 + (1 - weight) * daily_0
    enough = 3 * 2  # two days (or weeks) of 3-slot samples
    expected = np.where(
        daily_week_n >= enough, blended, np.where(weekly_n >= enough, weekly_0, np.nan)
    )
    _fill_gaps_from_neighbours(expected)
    fallback = np.where(np.isnan(overall), 0.0, overall)[:, None]
    expected = np.where(np.isnan(expected) | (history_days[:, None] < 2), fallback, expected)
    expected = _moved_clock(expected, raw, first_slot, per_day, settings)

    # Level factor: recent actual over what the profile predicts for the same buckets. Incident
    # buckets count here too, each capped at `level_cap` times its prediction: leaving them out
    # would let a level shift, flagged bucket after bucket, hide from the very factor meant to
    # follow it, and the cap keeps a real outage's pull small. Unusual days (a holiday) do not
    # count: one quiet day must not lower the next day's baseline.
    predicted = np.tile(expected, (1, rows))[:, first_slot : first_slot + length]
    recent = slice(max(0, length - settings.level_days * per_day), length)
    usual = np.repeat(~unusual, per_day, axis=1)[:, first_slot : first_slot + length]
    seen = ~np.isnan(raw[:, recent]) & usual[:, recent]
    capped = np.minimum(raw[:, recent], settings.level_cap * predicted[:, recent] + 1.0)
    age = np.arange(seen.shape[1])[::-1] / per_day  # in days, 0 for the last bucket
    half_life = settings.level_half_life / timedelta(days=1)
    weights = 0.5 ** (age / half_life) if half_life > 0 else np.ones_like(age)
    actual_sum = (np.where(seen, capped, 0) * weights).sum(axis=1)
    predicted_sum = (np.where(seen, predicted[:, recent], 0) * weights).sum(axis=1)
    prior = settings.level_prior
    level = np.clip((actual_sum + prior) / (predicted_sum + prior), *settings.level_bounds)
    level = np.where(seen.sum(axis=1) > 0, level, 1.0)
    expected = expected * level[:, None]
    return expected, level, history_days, values, first_slot, predicted
