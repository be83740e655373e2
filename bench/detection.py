"""Detection benchmark: recall, delay, false alarms and end accuracy on generated series.

Generates, with fixed seeds, several hundred series of 5-minute report counts (daily and weekly
rhythms, volume tiers from under 1 report per bucket to thousands, negative-binomial noise,
trends, level shifts, holidays), injects outages of known onset in the last week (2× to 100×,
10 minutes to 6 hours, step and ramp onsets, some with a lingering tail) and leaves a third of the
series outage-free. Each series goes through the same causal backtest as `manage.py backtest`,
with the shipped defaults, and the script prints:

- recall per volume tier and magnitude (an outage counts as found if an incident overlaps it);
- detection delay in buckets: the bucket whose evidence opened the incident minus the onset
  bucket (decisions are taken when a bucket closes; the live pipeline also judges the filling
  bucket, so it is never slower);
- false incidents per service per day: incidents of the last week overlapping no outage;
- incident end versus the true end (the last bucket at which the outage still at least doubled
  the normal count, so a faint tail is not required to be seen).

    make bench-detection          # or: .venv/bin/python bench/detection.py [--series N]
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.detection import DEFAULTS  # noqa: E402

from analytics.backtest import run_backtest  # noqa: E402
from analytics.scenarios import Outage, daily_rhythm  # noqa: E402

WIDTH = timedelta(minutes=5)
HISTORY_DAYS = 21
TEST_DAYS = 7
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
TIERS = {  # mean reports per bucket at the daily peak
    "0-3": (0.3, 3.0),
    "3-30": (3.0, 30.0),
    "30-300": (30.0, 300.0),
    "300-3000": (300.0, 3000.0),
}
MAGNITUDES = [2.0, 2.5, 3.0, 5.0, 10.0, 30.0, 100.0]
DURATIONS = [10, 20, 30, 60, 120, 240, 360]  # minutes


@dataclass(frozen=True)
class Injected:
    onset: int  # bucket index
    true_end: int  # first bucket after the outage (exclusive)
    window_end: int  # first bucket after the outage and its tail
    magnitude: float
    plateau_expected: float  # expected reports per bucket at the plateau (over the onset)
    ramp_minutes: int = 0  # 0 for a step onset


def make_series(seed: int, tier: str, with_outages: bool):
    rng = np.random.default_rng(seed)
    days = HISTORY_DAYS + TEST_DAYS
    index = pd.date_range(START, periods=days * 288, freq=WIDTH)
    moments = [t.to_pydatetime() for t in index]
    low, high = TIERS[tier]
    peak = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    offset = float(rng.choice([-8.0, -5.0, 0.0, 1.0, 5.5, 9.0]))
    rhythm = np.array([daily_rhythm(m, offset) for m in moments])
    weekend = rng.uniform(0.6, 1.1)
    is_weekend = np.array([m.weekday() >= 5 for m in moments])
    base = peak * rhythm * np.where(is_weekend, weekend / 0.8, 1.0)  # daily_rhythm has 0.8
    trend = np.linspace(1.0, rng.uniform(0.75, 1.35), len(index))
    base = base * trend
    if rng.random() < 0.3:  # a level shift somewhere in the history
        at = int(rng.integers(7 * 288, HISTORY_DAYS * 288))
        base[at:] *= rng.uniform(0.7, 1.5)
    if rng.random() < 0.3:  # a holiday: one quiet day
        day = int(rng.integers(3, days))
        base[day * 288 : (day + 1) * 288] *= 0.5
    multiplier = np.ones(len(index))
    injected: list[Injected] = []
    if with_outages:
        test_start = HISTORY_DAYS * 288
        slots = sorted(
            rng.choice(np.arange(test_start + 12, len(index) - 100, 288), size=2, replace=False)
        )
        for slot in slots:
            onset = int(slot + rng.integers(0, 200))
            magnitude = float(rng.choice(MAGNITUDES))
            minutes = int(rng.choice(DURATIONS))
            ramp = (
                timedelta(minutes=int(rng.choice([0, 0, 10, 20])))
                if minutes >= 30
                else timedelta(0)
            )
            tail = timedelta(minutes=int(rng.choice([0, 30, 60])))
            begin = index[onset].to_pydatetime() + timedelta(seconds=float(rng.uniform(0, 300)))
            outage = Outage(
                start=begin,
                multipliers={"s": magnitude},
                ramp=ramp,
                plateau=timedelta(minutes=minutes) - ramp,
                tail=tail,
            )
            mids = [m + WIDTH / 2 for m in moments[onset : onset + 200]]
            factors = np.array([outage.factor("s", m) for m in mids])
            multiplier[onset : onset + 200] = np.maximum(multiplier[onset : onset + 200], factors)
            doubled = (
                np.nonzero(factors >= 2.0)[0] if magnitude > 2 else np.nonzero(factors > 1.5)[0]
            )
            elevated = np.nonzero(factors > 1.0 + 1e-9)[0]
            true_end = onset + (int(doubled[-1]) + 1 if len(doubled) else 1)
            window_end = onset + (int(elevated[-1]) + 1 if len(elevated) else 1)
            plateau_expected = float(base[onset] * magnitude)
            injected.append(
                Injected(
                    onset,
                    true_end,
                    window_end,
                    magnitude,
                    plateau_expected,
                    int(ramp.total_seconds() // 60),
                )
            )
    alpha = float(rng.uniform(0.0, 0.08))
    mean = base * multiplier
    if alpha > 0:
        size = 1 / alpha
        counts = rng.negative_binomial(size, size / (size + mean))
    else:
        counts = rng.poisson(mean)
    return pd.Series(counts.astype(float), index=index), injected


def evaluate(job):
    seed, tier, with_outages = job
    series, injected = make_series(seed, tier, with_outages)
    started = time.perf_counter()
    result = run_backtest(series)
    elapsed = time.perf_counter() - started
    index = series.index
    test_start = index[HISTORY_DAYS * 288]
    incidents = []
    for inc in result.incidents:
        first = int(index.searchsorted(pd.Timestamp(inc.start)))
        detected = int(index.searchsorted(pd.Timestamp(inc.detected)))
        last = len(index) if inc.end is None else int(index.searchsorted(pd.Timestamp(inc.end)))
        incidents.append((first, detected, last, inc.start >= test_start))
    outcomes = []
    for out in injected:
        hits = [i for i in incidents if i[0] < out.window_end and i[2] > out.onset]
        if hits:
            first = min(hits, key=lambda i: i[1])
            delay = max(0, first[1] - out.onset)
            end = max(i[2] for i in hits)
            outcomes.append((out, True, delay, end - out.true_end))
        else:
            outcomes.append((out, False, None, None))
    false = sum(
        1
        for i in incidents
        if i[3] and not any(i[0] < o.window_end and i[2] > o.onset for o in injected)
    )
    return tier, with_outages, outcomes, false, elapsed


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=400, help="series in all (split by tier)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    per_tier = args.series // len(TIERS)
    jobs = []
    for t, tier in enumerate(TIERS):
        for i in range(per_tier):
            jobs.append((1000 * t + i, tier, i % 3 != 0))  # a third are outage-free
    started = time.perf_counter()
    with Pool(args.processes) as pool:
        results = pool.map(evaluate, jobs, chunksize=4)
    wall = time.perf_counter() - started

    found = defaultdict(list)
    delays = defaultdict(list)
    delays_by_onset = defaultdict(list)
    end_errors = []
    false_by_tier = defaultdict(int)
    clean_by_tier = defaultdict(int)
    below_minimum = [0, 0]
    for tier, with_outages, outcomes, false, _ in results:
        if not with_outages:
            false_by_tier[tier] += false
            clean_by_tier[tier] += 1
        for out, hit, delay, end_error in outcomes:
            excess = out.plateau_expected * (1 - 1 / out.magnitude)
            if out.plateau_expected < DEFAULTS.problems_min_reports or excess < 5:
                below_minimum[0] += 1
                below_minimum[1] += hit
                continue
            band = "2-3x" if out.magnitude < 3 else ("3-10x" if out.magnitude < 10 else ">=10x")
            found[(tier, band)].append(hit)
            if hit:
                delays[(tier, band)].append(delay)
                delays_by_onset[(band, out.ramp_minutes)].append(delay)
                end_errors.append(end_error)

    print(
        f"{len(jobs)} series ({HISTORY_DAYS} days history + {TEST_DAYS} days judged), "
        f"shipped defaults, {wall:.0f} s on {args.processes} processes"
    )
    print(
        f"\n{'tier (reports/bucket)':<22}{'magnitude':<10}{'outages':>8}{'recall':>8}"
        f"{'delay p50':>10}{'delay p90':>10}"
    )
    for tier in TIERS:
        for band in ("2-3x", "3-10x", ">=10x"):
            hits = found.get((tier, band), [])
            if not hits:
                continue
            d = delays.get((tier, band), [])
            print(
                f"{tier:<22}{band:<10}{len(hits):>8}{np.mean(hits):>8.2f}"
                f"{pct(d, 50):>10.1f}{pct(d, 90):>10.1f}"
            )
    all_ge3 = [h for (t, b), v in found.items() if b != "2-3x" for h in v]
    all_23 = [h for (t, b), v in found.items() if b == "2-3x" for h in v]
    all_delays = [d for (t, b), v in delays.items() for d in v]
    print(
        f"\nrecall, outages >= 3x above the minimum count: {np.mean(all_ge3):.3f} (target >= 0.95)"
    )
    print(f"recall, outages 2x-3x above the minimum count: {np.mean(all_23):.3f} (target >= 0.8)")
    print(
        f"detection delay: median {pct(all_delays, 50):.1f}, p90 {pct(all_delays, 90):.1f} "
        f"buckets (targets <= 1 and <= 2)"
    )
    print("detection delay by onset (buckets, p50 / p90 / outages):")
    for band in ("2-3x", "3-10x", ">=10x"):
        cells = []
        for ramp in (0, 10, 20):
            d = delays_by_onset.get((band, ramp), [])
            name = "step" if ramp == 0 else f"{ramp}-min ramp"
            cells.append(f"{name} {pct(d, 50):.0f} / {pct(d, 90):.0f} / {len(d)}")
        print(f"  {band:<7}" + ";  ".join(cells))
    print(
        f"outages below the minimum count (not in the targets): {below_minimum[0]}, "
        f"found {below_minimum[1]}"
    )
    print("\nfalse incidents per service per day on outage-free series (target <= 0.02):")
    for tier in TIERS:
        rate = false_by_tier[tier] / max(clean_by_tier[tier] * TEST_DAYS, 1)
        print(f"  {tier:<20}{rate:.4f}  ({false_by_tier[tier]} in {clean_by_tier[tier]} series)")
    within = np.mean([abs(e) <= 3 for e in end_errors]) if end_errors else float("nan")
    print(
        f"\nincident end within 3 buckets of the true end: {within:.3f} of detected outages "
        f"(target >= 0.9); median error {pct(end_errors, 50):+.1f} buckets"
    )
    per_series = np.mean([r[4] for r in results])
    print(
        f"backtest time: {per_series:.2f} s per series of {(HISTORY_DAYS + TEST_DAYS) * 288} buckets"
    )


if __name__ == "__main__":
    main()
