"""Synthetic crowd-report series for the detection benchmark. Pure numpy/pandas.

Nothing here comes from the detector or from `analytics.scenarios`: the shapes, the noise and the
events are the benchmark's own, chosen to include what the detector does not assume. Everything
is built on a one-minute grid (so onsets, ramps and bursts can fall anywhere inside a 5-minute
bucket) and summed into 5-minute buckets at the end.

One series, in order:

1. **Normal rate.** A daily profile of 2–3 Gaussian bumps (local hours 7–23, widths 1–4 h) over a
   floor of 3–30 % of the peak, scaled so its weekday peak is the series' volume (mean reports per
   5-minute bucket, log-uniform within the tier). It runs in a time zone of UTC−10 to UTC+12 (a
   sixth of them at half hours); weekends are 0.5–1.3× and their bumps come 0–2 h later. In half
   of the series the profile moves by one hour (a daylight-saving change, ±1 h at 02:00 local
   time) on a day inside the judged period. Growth of −30 % to +50 % over the whole series
   (exponential), persistent level shifts (one inside the judged period in some series, one in
   the history in others) and a holiday (a local day at 0.4–0.7) in some.
2. **Organic bursts that are not outages.** Viral "is X down?" posts: a rise within 1–3 minutes to
   2–4× (held-out 2–5×), a short hold and a fast decay, 5–15 minutes in all, a few per week,
   more likely when the service is busy. News days: 2–6 hours at 1.5–2× with soft edges.
3. **Outages** (judged period only, none in a third of the series, 1–3 in the others): a class
   drawn evenly from 2–3×, 3–5×, 5–10× and 10–100×, log-uniform within it; the outage adds
   (m − 1) times the normal rate. Onset is a step or a 5–30-minute linear ramp; the outage lasts
   10 minutes to 10 hours (log-uniform, onset to the end of the plateau); two thirds have a tail,
   an exponential decay of the excess back to 5 % of the normal rate over 10–90 minutes.
4. **Gaps** of zeros (a collection failure: 1–6 hours with no reports at all) in some series,
   never over an outage.
5. **Noise.** Each bucket's rate is multiplied by a lognormal factor exp(σ·z − σ²/2) whose z
   follows an AR(1) process across buckets (correlation φ, unit variance), then drawn as Poisson.
   With σ² = ln(1 + α) the count variance is μ + α·μ², the same second moment as a negative
   binomial of over-dispersion α, but with heavier tails and runs of high buckets.

Two parameter sets share the generator: DEV for tuning and HELDOUT (other seeds, wider ranges,
more frequent bursts and news) for reporting.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
WIDTH = timedelta(minutes=5)
BUCKET_MINUTES = 5
HISTORY_DAYS = 21
JUDGED_DAYS = 14
DAYS = HISTORY_DAYS + JUDGED_DAYS
MINUTES = DAYS * 1440
BUCKETS = MINUTES // BUCKET_MINUTES
JUDGED_START = HISTORY_DAYS * 1440  # minutes from START

# Mean reports per 5-minute bucket at the weekday daily peak (log-uniform within the tier).
TIERS = {
    "sparse": (0.05, 0.3),
    "low": (0.3, 3.0),
    "mid": (3.0, 30.0),
    "high": (30.0, 300.0),
    "huge": (300.0, 3000.0),
}
OUTAGE_CLASSES = {
    "2-3x": (2.0, 3.0),
    "3-5x": (3.0, 5.0),
    "5-10x": (5.0, 10.0),
    ">=10x": (10.0, 100.0),
}


@dataclass(frozen=True)
class Ranges:
    """The parameter ranges of one benchmark set."""

    name: str
    seed_base: int
    alpha: tuple[float, float]  # over-dispersion, log-uniform
    phi: tuple[float, float]  # AR(1) correlation of the log-rate noise, uniform
    burst_peak: tuple[float, float]
    bursts_per_week: tuple[float, float]  # the series' rate, uniform
    news_per_week: tuple[float, float]
    news_factor: tuple[float, float]
    shift: tuple[float, float]  # size of a level shift (either sign)
    judged_shift_share: float  # series with a level shift inside the judged period
    history_shift_share: float
    holiday_share: float
    gap_share: float
    dst_share: float = 0.5


DEV = Ranges(
    name="dev",
    seed_base=1000,
    alpha=(0.02, 0.4),
    phi=(0.0, 0.5),
    burst_peak=(2.0, 4.0),
    bursts_per_week=(1.0, 4.0),
    news_per_week=(0.2, 1.0),
    news_factor=(1.5, 2.0),
    shift=(0.30, 0.45),
    judged_shift_share=0.3,
    history_shift_share=0.25,
    holiday_share=0.3,
    gap_share=0.15,
)
HELDOUT = Ranges(
    name="heldout",
    seed_base=900_000,
    alpha=(0.02, 0.6),
    phi=(0.0, 0.7),
    burst_peak=(2.0, 5.0),
    bursts_per_week=(2.0, 7.0),
    news_per_week=(0.4, 1.5),
    news_factor=(1.5, 2.0),
    shift=(0.45, 0.60),
    judged_shift_share=0.35,
    history_shift_share=0.3,
    holiday_share=0.35,
    gap_share=0.2,
)
SETS = {"dev": DEV, "heldout": HELDOUT}


@dataclass(frozen=True)
class Outage:
    """One injected outage; times in minutes from START (floats, exact)."""

    onset: float
    magnitude: float
    klass: str
    ramp: float  # minutes, 0 for a step onset
    duration: float  # onset to the end of the plateau, minutes
    tail: float  # minutes, 0 without a tail
    true_end: float  # end of the bucket holding the last moment the rate was still >= 2× normal
    window_end: float  # end of the tail plus 30 minutes' grace: incidents before it are not false
    plateau_expected: float  # mean expected reports per bucket over the plateau
    plateau_excess: float  # of which the outage's own

    @property
    def onset_shape(self) -> str:
        return "step" if self.ramp == 0 else "ramp"


@dataclass(frozen=True)
class Event:
    """An organic or data event (minutes from START, end exclusive) and its size."""

    kind: str  # "burst", "news", "shift", "holiday", "gap", "dst"
    start: float
    end: float
    size: float = 1.0  # peak multiplier, shift factor, or DST hours


@dataclass
class CrowdSeries:
    set_name: str
    tier: str
    number: int
    seed: int
    peak: float
    alpha: float
    phi: float
    utc_offset: float
    counts: pd.Series  # float counts per 5-minute bucket, aware UTC index
    normal: np.ndarray  # expected reports per bucket without bursts, news, outages or noise
    normal_without_dst: np.ndarray  # the same as if the clocks had not changed
    outages: list[Outage] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def judged_start(self) -> datetime:
        return START + timedelta(minutes=JUDGED_START)


GRACE_MINUTES = 30.0


def seed_of(ranges: Ranges, tier: str, number: int) -> int:
    return ranges.seed_base + 10_000 * list(TIERS).index(tier) + number


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _profile(hours: np.ndarray, centres, widths, heights, floor: float) -> np.ndarray:
    """Floor plus Gaussian bumps on a 24-hour circle."""
    shape = np.full(hours.shape, floor)
    for centre, width, height in zip(centres, widths, heights, strict=True):
        distance = np.abs((hours - centre + 12.0) % 24.0 - 12.0)
        shape = shape + height * np.exp(-0.5 * (distance / width) ** 2)
    return shape


def _daily_rate(rng, minutes, peak, utc_offset, dst_at, dst_hours):
    """Normal reports per minute (profile × weekend), with and without the DST move."""
    bumps = int(rng.integers(2, 4))
    centres = rng.uniform(7.0, 23.0, bumps)
    widths = rng.uniform(1.0, 4.0, bumps)
    heights = rng.uniform(0.3, 1.0, bumps)
    floor = rng.uniform(0.03, 0.3)
    weekend_factor = rng.uniform(0.5, 1.3)
    weekend_delay = rng.uniform(0.0, 2.0)
    grid = np.linspace(0.0, 24.0, 24 * 60, endpoint=False)
    scale = peak / BUCKET_MINUTES / _profile(grid, centres, widths, heights, floor).max()

    def rate(moved: bool) -> np.ndarray:
        local = minutes / 60.0 + utc_offset
        if moved and dst_at is not None:
            local = local + np.where(minutes >= dst_at, dst_hours, 0.0)
        day = np.floor(local / 24.0).astype(int)
        weekend = (day % 7) >= 5
        hours = local % 24.0 - np.where(weekend, weekend_delay, 0.0)
        shape = _profile(hours, centres, widths, heights, floor)
        return scale * shape * np.where(weekend, weekend_factor, 1.0)

    return rate(True), rate(False)


def _sample_times(rng, weight: np.ndarray, count: int) -> np.ndarray:
    if count == 0:
        return np.zeros(0)
    return rng.choice(len(weight), size=count, p=weight / weight.sum()).astype(float)


def _burst(minutes, start, peak, total) -> np.ndarray:
    """Excess (× normal) of a viral burst: fast rise, short hold, fast exponential decay."""
    rise = 1.0 + 2.0 * (total / 15.0)
    hold = 0.4 * total
    decay_from = start + rise + hold
    tau = max((start + total - decay_from) / 3.0, 0.5)
    excess = np.zeros(minutes.shape)
    t = minutes - start
    ramp = (t >= 0) & (t < rise)
    excess[ramp] = (peak - 1.0) * t[ramp] / rise
    flat = (t >= rise) & (minutes < decay_from)
    excess[flat] = peak - 1.0
    tail = (minutes >= decay_from) & (minutes < start + total)
    excess[tail] = (peak - 1.0) * np.exp(-(minutes[tail] - decay_from) / tau)
    return excess


def _soft_window(minutes, start, end, edge_in, edge_out) -> np.ndarray:
    """1 between start and end, raised-cosine edges outside, 0 far away."""
    out = np.zeros(minutes.shape)
    rising = (minutes >= start - edge_in) & (minutes < start)
    out[rising] = 0.5 - 0.5 * np.cos(np.pi * (minutes[rising] - start + edge_in) / edge_in)
    out[(minutes >= start) & (minutes < end)] = 1.0
    falling = (minutes >= end) & (minutes < end + edge_out)
    out[falling] = 0.5 + 0.5 * np.cos(np.pi * (minutes[falling] - end) / edge_out)
    return out


def _outage_excess(minutes, onset, magnitude, ramp, duration, tail) -> tuple[np.ndarray, float]:
    """Excess (× normal) of one outage, and the last moment the multiplier is still >= 2."""
    t = minutes - onset
    height = magnitude - 1.0
    excess = np.zeros(minutes.shape)
    if ramp > 0:
        up = (t >= 0) & (t < ramp)
        excess[up] = height * t[up] / ramp
    excess[(t >= ramp) & (t < duration)] = height
    last_doubled = onset + duration
    if tail > 0:
        tau = tail / math.log(height / 0.05)  # the excess is 5 % of normal when the tail ends
        after = (t >= duration) & (t < duration + tail)
        excess[after] = height * np.exp(-(t[after] - duration) / tau)
        if height > 1.0:
            last_doubled += min(tau * math.log(height), tail)
    return excess, last_doubled


def generate(ranges: Ranges, tier: str, number: int) -> CrowdSeries:
    seed = seed_of(ranges, tier, number)
    rng = np.random.default_rng(seed)
    minutes = np.arange(MINUTES, dtype=float) + 0.5  # the middle of each minute
    peak = _log_uniform(rng, *TIERS[tier])
    utc_offset = float(rng.integers(-10, 13)) + (0.5 if rng.random() < 1 / 6 else 0.0)
    events: list[Event] = []

    dst_at, dst_hours = None, 0.0
    if rng.random() < ranges.dst_share:
        day = int(rng.integers(HISTORY_DAYS + 1, DAYS - 1))
        dst_at = float((day * 24 + 2 - utc_offset) * 60)  # 02:00 local time
        dst_hours = float(rng.choice([-1.0, 1.0]))
        events.append(Event("dst", dst_at, float(MINUTES), dst_hours))
    rate, rate_without_dst = _daily_rate(rng, minutes, peak, utc_offset, dst_at, dst_hours)

    level = np.exp(math.log(1.0 + rng.uniform(-0.3, 0.5)) * minutes / MINUTES)
    for share, low, high in (
        (ranges.judged_shift_share, JUDGED_START + 60.0, MINUTES - 1440.0),
        (ranges.history_shift_share, 7 * 1440.0, JUDGED_START - 1440.0),
    ):
        if rng.random() < share:
            at = float(rng.uniform(low, high))
            factor = 1.0 + float(rng.choice([-1.0, 1.0])) * rng.uniform(*ranges.shift)
            level = level * np.where(minutes >= at, factor, 1.0)
            events.append(Event("shift", at, float(MINUTES), factor))
    if rng.random() < ranges.holiday_share:
        day = int(rng.integers(7, DAYS))
        start = (day * 24 - utc_offset) * 60.0
        factor = rng.uniform(0.4, 0.7)
        level = level * np.where((minutes >= start) & (minutes < start + 1440), factor, 1.0)
        events.append(Event("holiday", start, start + 1440.0, factor))
    normal = rate * level
    normal_without_dst = rate_without_dst * level

    # Organic excess, as a multiple of the normal rate: viral bursts and news days.
    organic = np.zeros(MINUTES)
    weeks = DAYS / 7
    bursts = int(rng.poisson(rng.uniform(*ranges.bursts_per_week) * weeks))
    for at in _sample_times(rng, normal, bursts):
        size = rng.uniform(*ranges.burst_peak)
        total = rng.uniform(5.0, 15.0)
        lo, hi = int(at), min(MINUTES, int(at + total) + 1)
        organic[lo:hi] += _burst(minutes[lo:hi], at, size, total)
        events.append(Event("burst", at, at + total, size))
    news = int(rng.poisson(rng.uniform(*ranges.news_per_week) * weeks))
    for at in _sample_times(rng, normal, news):
        factor = rng.uniform(*ranges.news_factor)
        length = rng.uniform(120.0, 360.0)
        edge_in, edge_out = rng.uniform(20.0, 60.0), rng.uniform(30.0, 90.0)
        organic += (factor - 1.0) * _soft_window(minutes, at, at + length, edge_in, edge_out)
        events.append(Event("news", at - edge_in, at + length + edge_out, factor))

    # Outages: only in the judged period, none in a third of the series.
    excess = np.zeros(MINUTES)
    outages: list[Outage] = []
    busy: list[tuple[float, float]] = []
    if number % 3 != 0:
        wanted = int(rng.integers(1, 4))
        for _ in range(50):
            if len(outages) == wanted:
                break
            klass = str(rng.choice(list(OUTAGE_CLASSES)))
            magnitude = _log_uniform(rng, *OUTAGE_CLASSES[klass])
            duration = _log_uniform(rng, 10.0, 600.0)
            ramp = 0.0 if rng.random() < 0.5 else min(rng.uniform(5.0, 30.0), duration / 2)
            tail = rng.uniform(10.0, 90.0) if rng.random() < 2 / 3 else 0.0
            span = duration + tail + GRACE_MINUTES
            onset = float(rng.integers(JUDGED_START + 60, MINUTES - int(span) - 60))
            if any(onset < b + 360 and onset + span + 360 > a for a, b in busy):
                continue  # keep outages (and their windows) at least 6 hours apart
            one, last_doubled = _outage_excess(minutes, onset, magnitude, ramp, duration, tail)
            excess += one
            plateau = slice(int(onset + ramp), int(math.ceil(onset + duration)))
            base = float(normal[plateau].mean()) * BUCKET_MINUTES
            true_end = math.ceil(last_doubled / BUCKET_MINUTES) * BUCKET_MINUTES
            outages.append(
                Outage(
                    onset=onset,
                    magnitude=magnitude,
                    klass=klass,
                    ramp=ramp,
                    duration=duration,
                    tail=tail,
                    true_end=float(true_end),
                    window_end=onset + span,
                    plateau_expected=base * magnitude,
                    plateau_excess=base * (magnitude - 1.0),
                )
            )
            busy.append((onset, onset + span))
        outages.sort(key=lambda o: o.onset)

    # Gaps of zeros: anywhere but over an outage window (with two hours either side).
    alive = np.ones(MINUTES, dtype=bool)
    if rng.random() < ranges.gap_share:
        for _ in range(int(rng.integers(1, 4))):
            length = rng.uniform(60.0, 360.0)
            at = float(rng.uniform(2 * 1440, MINUTES - length))
            if any(at < b + 120 and at + length + 120 > a for a, b in busy):
                continue
            alive[int(at) : int(at + length)] = False
            events.append(Event("gap", at, at + length))

    mean = normal * (1.0 + organic + excess) * alive
    per_bucket = mean.reshape(BUCKETS, BUCKET_MINUTES).sum(axis=1)
    alpha = _log_uniform(rng, *ranges.alpha)
    phi = rng.uniform(*ranges.phi)
    sigma = math.sqrt(math.log1p(alpha))
    shocks = rng.standard_normal(BUCKETS)
    z = np.empty(BUCKETS)
    z[0] = shocks[0]
    innovation = math.sqrt(1.0 - phi * phi)
    for i in range(1, BUCKETS):
        z[i] = phi * z[i - 1] + innovation * shocks[i]
    noisy = per_bucket * np.exp(sigma * z - 0.5 * sigma * sigma)
    counts = rng.poisson(noisy).astype(float)

    index = pd.date_range(START, periods=BUCKETS, freq=WIDTH)
    return CrowdSeries(
        set_name=ranges.name,
        tier=tier,
        number=number,
        seed=seed,
        peak=peak,
        alpha=alpha,
        phi=phi,
        utc_offset=utc_offset,
        counts=pd.Series(counts, index=index),
        normal=normal.reshape(BUCKETS, BUCKET_MINUTES).sum(axis=1),
        normal_without_dst=normal_without_dst.reshape(BUCKETS, BUCKET_MINUTES).sum(axis=1),
        outages=outages,
        events=sorted(events, key=lambda e: e.start),
    )
