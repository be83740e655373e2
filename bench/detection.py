"""Detection benchmark: false incidents, recall, delay and end accuracy on series the detector
was not built for.

**Data** (bench/crowd_series.py, its own generator: nothing from `analytics.scenarios` or from
the detector's model). Each series has 21 days of history and 14 judged days of 5-minute report
counts; only the judged days are scored. Five volume tiers by mean reports per bucket at the
weekday daily peak: sparse 0.05–0.3, low 0.3–3, mid 3–30, high 30–300, huge 300–3000
(log-uniform within the tier). Every series has:

- a daily profile of 2–3 random Gaussian bumps over a floor, in a random time zone, weekends
  0.5–1.3× and later, and in half of the series a daylight-saving move of the whole profile by
  one hour on a day inside the judged period;
- noise that is not a negative binomial: a Poisson whose log-rate carries AR(1)-correlated
  Gaussian noise across neighbouring buckets (over-dispersion α log-uniform 0.02–0.4 and
  correlation φ 0–0.5 in the dev set; up to 0.6 and 0.7 held out), so tails are heavier and
  high buckets come in runs;
- organic bursts that are not outages (a viral "is it down?" post: 2–4×, held-out 2–5×, rising
  within minutes and gone within 5–15 minutes, a few per week) and news days (2–6 hours at
  1.5–2×);
- growth of −30 % to +50 % over the series, and in some series a persistent level shift of
  ±30–45 % (held-out ±45–60 %) inside the judged period or the history, a holiday (one local day
  at 0.4–0.7), or gaps of zeros (1–6 hours without a single report);
- outages in the judged period of two thirds of the series (1–3 each, at least 6 hours apart):
  2–3×, 3–5×, 5–10× and 10–100× drawn evenly (log-uniform within each), adding (m − 1) times the
  normal rate; step or 5–30-minute ramp onsets; 10 minutes to 10 hours (log-uniform); in two
  thirds an exponential tail back to normal over 10–90 minutes.

Two sets: **dev** (seeds from 1000, for tuning) and **held-out** (seeds from 900000, wider
noise, bigger level shifts, more bursts and news; the one to report). Each has 150 series per
tier by default, over 2,000 judged service-days per tier.

**Scoring.** Every series goes through `run_backtest` (the causal backtest of `manage.py
backtest`) with the shipped defaults unless `--set-detector` says otherwise. An incident's
decision time is the end of the closed bucket whose evidence opened it.

- *True end* of an outage: the end of the bucket holding the last moment at which the outage
  still at least doubled the normal rate (the end of the plateau, or later in the tail of a big
  one). *Outage window*: from the onset to the end of its tail plus 30 minutes.
- *Hit*: an incident decided in [onset, true end]. *Delay*: decision time minus the exact onset
  (often mid-bucket), in 5-minute buckets, over hits.
- *False incidents*: every incident decided in the judged period outside every outage window, in
  any series, plus every incident beyond the first decided inside one window (a split). Rates are
  per service per day of judged time outside outage windows, with the upper end of the exact
  two-sided 95 % Poisson interval (chi2.ppf(0.975, 2k + 2) / 2 / service-days). Each is put
  down to the first cause that applies: a burst (from its start to 30 minutes after), a news day
  (to 1 hour after), the 6 hours after an outage window, a gap (to 24 hours after, or the same
  time of week ±1 hour in later weeks), a holiday (to 36 hours after), a level shift (to 3 days
  after), the daylight-saving move (after it, where in the half hour before the decision the
  new profile is at least 1.25× the old one), or elsewhere (noise).
- *Recall targets* count only outages with a plateau of at least 10 expected reports per bucket
  of which at least 5 are excess (the benchmark's MIN_PLATEAU_EXPECTED and MIN_PLATEAU_EXCESS;
  the rest are reported apart): ≥5× lasting ≥15 minutes, 3–5×, and for 2–3× also "amber", the
  share that reached at least "possible problems" in a bucket between onset and true end.
- *End accuracy*: the share of hits whose incident end (the last incident decided inside the
  window, if split) is within 3 buckets of the true end; an incident still open counts as wrong.

    make bench-detection       # held-out set, shipped defaults, about 10 minutes on 2 cores
    .venv/bin/python bench/detection.py --set dev --series-per-tier 30
    .venv/bin/python bench/detection.py --set dev --sweep onset_threshold=10,14,18 --json out.json
    .venv/bin/python bench/detection.py --set-detector onset_threshold=18 --set-detector cooldown_buckets=12
"""

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The detector's API: the only imports from the product (one place to switch the path).
from analytics.backtest import run_backtest  # noqa: E402
from analytics.detector import DEFAULTS, tuned  # noqa: E402
from bench.crowd_series import (  # noqa: E402
    BUCKET_MINUTES,
    JUDGED_DAYS,
    JUDGED_START,
    MINUTES,
    OUTAGE_CLASSES,
    SETS,
    START,
    TIERS,
    generate,
)

# The benchmark's own scope for recall targets (never a detector setting).
MIN_PLATEAU_EXPECTED = 10.0  # expected reports per bucket over the plateau, outage included
MIN_PLATEAU_EXCESS = 5.0  # of which the outage's own
SHORT_MINUTES = 15.0  # the ≥5× recall target counts outages lasting at least this long
END_TOLERANCE = 3  # buckets

TARGETS = {
    "false_rate": 0.01,  # per service per day, at every tier
    "false_upper": 0.02,  # the 95 % upper bound of it
    "recall_5x": 0.95,
    "recall_3_5x": 0.8,
    "amber_2_3x": 0.7,
    "delay_median_10x": 1.0,  # buckets
    "delay_p90_5x": 3.0,
    "end_within": 0.9,
}

CAUSES = (
    "split",
    "burst",
    "news",
    "after outage",
    "gap",
    "holiday",
    "level shift",
    "DST",
    "elsewhere",
)
CAUSE_AFTER = {  # minutes after the event's end that still count as caused by it
    "burst": 30.0,
    "news": 60.0,
    "gap": 1440.0,
    "holiday": 2160.0,
}
AFTER_OUTAGE = 360.0
AFTER_SHIFT = 3 * 1440.0
DST_GAIN = 1.25
DST_LOOKBACK = 30.0
ALPHA_BINS = (0.0, 0.1, 0.25, math.inf)
PHI_BINS = (0.0, 0.25, 0.5, math.inf)


def decision_time(incident, width):
    """When the detector decided to open the incident: the backtest's `detected`, the end of
    the closed bucket whose evidence did it (`width` is kept for callers that need it)."""
    return incident.detected


def _minutes(moment) -> float:
    return (moment - START).total_seconds() / 60.0


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 <= b1 and b0 <= a1


def _cause(series, start: float, decided: float) -> str:
    """The first listed phenomenon that the false incident [start, decided] overlaps."""
    events = series.events
    for kind in ("burst", "news"):
        for e in events:
            if e.kind == kind and _overlaps(start, decided, e.start, e.end + CAUSE_AFTER[kind]):
                return kind
    for o in series.outages:
        if _overlaps(start, decided, o.window_end, o.window_end + AFTER_OUTAGE):
            return "after outage"
    for e in events:
        if e.kind != "gap":
            continue
        if _overlaps(start, decided, e.start, e.end + CAUSE_AFTER["gap"]):
            return "gap"
        for week in range(1, 6):
            shift = week * 7 * 1440.0
            if _overlaps(start, decided, e.start + shift - 60.0, e.end + shift + 60.0):
                return "gap"
    for e in events:
        if e.kind == "holiday" and _overlaps(
            start, decided, e.start, e.end + CAUSE_AFTER["holiday"]
        ):
            return "holiday"
    for e in events:
        if e.kind == "shift" and _overlaps(start, decided, e.start, e.start + AFTER_SHIFT):
            return "level shift"
    for e in events:
        if e.kind == "dst" and decided > e.start:
            # Only the last half hour before the decision: a long back-dated start would
            # otherwise nearly always reach a steep part of the day.
            first = int(max(start, decided - DST_LOOKBACK, e.start) // BUCKET_MINUTES)
            last = max(first + 1, int(math.ceil(decided / BUCKET_MINUTES)))
            gain = series.normal[first:last] / np.maximum(
                series.normal_without_dst[first:last], 1e-9
            )
            if gain.max() >= DST_GAIN:
                return "DST"
    return "elsewhere"


def evaluate(job):
    """Generate one series, backtest it and score it. Returns a small JSON-able record."""
    set_name, tier, number, overrides = job
    series = generate(SETS[set_name], tier, number)
    settings = tuned(dict(overrides)) if overrides else DEFAULTS
    started = time.process_time()
    result = run_backtest(series.counts, settings)
    elapsed = time.process_time() - started
    width = result.width
    everything = []  # (start, decision, end or None), minutes from START
    for incident in result.incidents:
        end = None if incident.end is None else _minutes(incident.end)
        everything.append((_minutes(incident.start), _minutes(decision_time(incident, width)), end))
    everything.sort(key=lambda i: i[1])
    incidents = [i for i in everything if i[1] > JUDGED_START]  # decided in judged time

    outages = []
    claimed = set()
    false = []
    for o in series.outages:
        inside = [i for i in incidents if o.onset <= i[1] <= o.window_end]
        claimed.update(inside)
        hit = bool(inside) and inside[0][1] <= o.true_end
        if hit:
            miss = None
        elif any(i[1] < o.onset and (i[2] is None or i[2] > o.onset) for i in everything):
            miss = "covered"  # an incident decided before the onset was still open
        else:
            miss = "late" if inside else "never"
        first_bucket = int(o.onset // BUCKET_MINUTES)
        last_bucket = int(o.true_end // BUCKET_MINUTES)
        levels = result.levels[first_bucket:last_bucket]
        end_error = None
        if hit and inside[-1][2] is not None:
            end_error = (inside[-1][2] - o.true_end) / BUCKET_MINUTES
        outages.append(
            {
                "klass": o.klass,
                "magnitude": o.magnitude,
                "duration": o.duration,
                "shape": o.onset_shape,
                "in_scope": o.plateau_expected >= MIN_PLATEAU_EXPECTED
                and o.plateau_excess >= MIN_PLATEAU_EXCESS,
                "hit": hit,
                "miss": miss,
                "delay": (inside[0][1] - o.onset) / BUCKET_MINUTES if hit else None,
                "end_error": end_error,
                "open_at_end": hit and inside[-1][2] is None,
                "amber": bool(len(levels) and levels.max() >= 1),
                "splits": max(0, len(inside) - 1),
            }
        )
        false.extend(("split", i[1]) for i in inside[1:])
    for i in incidents:
        if i not in claimed:
            false.append((_cause(series, i[0], i[1]), i[1]))
    windows = sum(min(o.window_end, MINUTES) - o.onset for o in series.outages)
    return {
        "set": set_name,
        "tier": tier,
        "number": number,
        "alpha": series.alpha,
        "phi": series.phi,
        "service_days": (MINUTES - JUDGED_START - windows) / 1440.0,
        "false": [cause for cause, _ in false],
        "outages": outages,
        "backtest_seconds": elapsed,
        "overrides": overrides,
    }


def poisson_upper(k: int, exposure: float) -> float:
    """Upper end of the exact two-sided 95 % Poisson interval for a rate (k events / exposure)."""
    return float(stats.chi2.ppf(0.975, 2 * k + 2) / 2.0 / exposure) if exposure else math.nan


def _pct(values, q):
    return float(np.percentile(values, q)) if values else math.nan


def _share(flags):
    return float(np.mean(flags)) if flags else math.nan


def _class_of(o) -> str:
    if o["klass"] in ("5-10x", ">=10x"):
        return ">=5x, >=15 min" if o["duration"] >= SHORT_MINUTES else ">=5x, <15 min"
    return o["klass"]


RECALL_GROUPS = (">=5x, >=15 min", ">=5x, <15 min", "3-5x", "2-3x")


def summarize(records) -> dict:
    """Every figure of one run (one set, one detector setting) from its per-series records."""
    by_tier = defaultdict(list)
    for r in records:
        by_tier[r["tier"]].append(r)
    false_rows = {}
    causes = {}
    for tier in TIERS:
        rows = by_tier.get(tier, [])
        days = sum(r["service_days"] for r in rows)
        count = sum(len(r["false"]) for r in rows)
        false_rows[tier] = {
            "series": len(rows),
            "service_days": days,
            "false": count,
            "rate": count / days if days else math.nan,
            "upper95": poisson_upper(count, days),
        }
        causes[tier] = dict(Counter(c for r in rows for c in r["false"]))
    days = sum(r["service_days"] for r in records)
    count = sum(len(r["false"]) for r in records)
    false_rows["all"] = {
        "series": len(records),
        "service_days": days,
        "false": count,
        "rate": count / days if days else math.nan,
        "upper95": poisson_upper(count, days),
    }
    causes["all"] = dict(Counter(c for r in records for c in r["false"]))

    noise = {}  # "elsewhere" false incidents by the series' over-dispersion and correlation
    for a in range(len(ALPHA_BINS) - 1):
        for p in range(len(PHI_BINS) - 1):
            rows = [
                r
                for r in records
                if ALPHA_BINS[a] <= r["alpha"] < ALPHA_BINS[a + 1]
                and PHI_BINS[p] <= r["phi"] < PHI_BINS[p + 1]
            ]
            days_here = sum(r["service_days"] for r in rows)
            k = sum(c == "elsewhere" for r in rows for c in r["false"])
            noise[f"{a},{p}"] = {"service_days": days_here, "false": k}

    outages = [(r["tier"], o) for r in records for o in r["outages"]]
    scoped = [(t, o) for t, o in outages if o["in_scope"]]
    recall = {}
    for group in RECALL_GROUPS:
        for tier in (*TIERS, "all"):
            chosen = [o for t, o in scoped if _class_of(o) == group and tier in (t, "all")]
            delays = [o["delay"] for o in chosen if o["hit"]]
            recall[f"{group}|{tier}"] = {
                "outages": len(chosen),
                "recall": _share([o["hit"] for o in chosen]),
                "amber": _share([o["amber"] for o in chosen]),
                "delay_p50": _pct(delays, 50),
                "delay_p90": _pct(delays, 90),
            }
    by_shape = {}
    for klass in OUTAGE_CLASSES:
        for shape in ("step", "ramp"):
            delays = [
                o["delay"]
                for _, o in scoped
                if o["klass"] == klass and o["shape"] == shape and o["hit"]
            ]
            by_shape[f"{klass}|{shape}"] = {
                "hits": len(delays),
                "delay_p50": _pct(delays, 50),
                "delay_p90": _pct(delays, 90),
            }
    out_of_scope = {}
    for klass in OUTAGE_CLASSES:
        chosen = [o for _, o in outages if not o["in_scope"] and o["klass"] == klass]
        out_of_scope[klass] = {"outages": len(chosen), "found": sum(o["hit"] for o in chosen)}
    hits = [o for _, o in scoped if o["hit"]]
    errors = [o["end_error"] for o in hits if o["end_error"] is not None]
    delays_10x = [o["delay"] for _, o in scoped if o["hit"] and o["klass"] == ">=10x"]
    delays_5x = [o["delay"] for _, o in scoped if o["hit"] and o["klass"] in ("5-10x", ">=10x")]
    headline = {
        "false_rate_max": max(false_rows[t]["rate"] for t in TIERS if false_rows[t]["series"]),
        "false_upper_max": max(false_rows[t]["upper95"] for t in TIERS if false_rows[t]["series"]),
        "recall_5x": recall[">=5x, >=15 min|all"]["recall"],
        "recall_3_5x": recall["3-5x|all"]["recall"],
        "recall_2_3x": recall["2-3x|all"]["recall"],
        "amber_2_3x": recall["2-3x|all"]["amber"],
        "delay_median_10x": _pct(delays_10x, 50),
        "delay_p90_5x": _pct(delays_5x, 90),
        "end_within": _share(
            [o["end_error"] is not None and abs(o["end_error"]) <= END_TOLERANCE for o in hits]
        ),
        "end_error_median": _pct(errors, 50),
        "open_at_end": sum(o["open_at_end"] for o in hits),
        "splits": sum(o["splits"] for _, o in outages),
        "misses": {
            group: dict(
                Counter(o["miss"] for _, o in scoped if _class_of(o) == group and o["miss"])
            )
            for group in RECALL_GROUPS
        },
    }
    return {
        "headline": headline,
        "false": false_rows,
        "causes": causes,
        "noise": noise,
        "recall": recall,
        "delay_by_shape": by_shape,
        "out_of_scope": out_of_scope,
        "outages": {"all": len(outages), "in_scope": len(scoped), "hits": len(hits)},
        "backtest_seconds": sum(r["backtest_seconds"] for r in records),
    }


def _f(value, digits=3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def headline_checks(h: dict, false_rows: dict) -> list[tuple[str, str, str, bool]]:
    tiers = [t for t in TIERS if false_rows[t]["series"]]
    rates = " / ".join(_f(false_rows[t]["rate"], 4) for t in tiers)
    uppers = " / ".join(_f(false_rows[t]["upper95"], 4) for t in tiers)

    def le(value, target):
        return not math.isnan(value) and value <= target

    def ge(value, target):
        return not math.isnan(value) and value >= target

    return [
        (
            f"false incidents per service-day ({' / '.join(tiers)})",
            rates,
            f"≤ {TARGETS['false_rate']} each",
            le(h["false_rate_max"], TARGETS["false_rate"]),
        ),
        (
            "95 % upper bound of it",
            uppers,
            f"≤ {TARGETS['false_upper']} each",
            le(h["false_upper_max"], TARGETS["false_upper"]),
        ),
        (
            "recall, ≥5× lasting ≥15 min",
            _f(h["recall_5x"]),
            f"≥ {TARGETS['recall_5x']}",
            ge(h["recall_5x"], TARGETS["recall_5x"]),
        ),
        (
            "recall, 3–5×",
            _f(h["recall_3_5x"]),
            f"≥ {TARGETS['recall_3_5x']}",
            ge(h["recall_3_5x"], TARGETS["recall_3_5x"]),
        ),
        (
            "2–3×: at least amber during the outage (recall)",
            f"{_f(h['amber_2_3x'])} ({_f(h['recall_2_3x'])})",
            f"≥ {TARGETS['amber_2_3x']}",
            ge(h["amber_2_3x"], TARGETS["amber_2_3x"]),
        ),
        (
            "delay, median, ≥10× (buckets)",
            _f(h["delay_median_10x"], 2),
            f"≤ {TARGETS['delay_median_10x']:g}",
            le(h["delay_median_10x"], TARGETS["delay_median_10x"]),
        ),
        (
            "delay, p90, ≥5× (buckets)",
            _f(h["delay_p90_5x"], 2),
            f"≤ {TARGETS['delay_p90_5x']:g}",
            le(h["delay_p90_5x"], TARGETS["delay_p90_5x"]),
        ),
        (
            f"incident end within {END_TOLERANCE} buckets of the true end",
            _f(h["end_within"]),
            f"≥ {TARGETS['end_within']}",
            ge(h["end_within"], TARGETS["end_within"]),
        ),
    ]


def _bin(edges, i) -> str:
    low, high = edges[i], edges[i + 1]
    return f"{low:g}+" if math.isinf(high) else f"{low:g}–{high:g}"


def print_report(title: str, s: dict) -> None:
    h = s["headline"]
    print(f"\n### {title}\n")
    print("| measure | result | target | met |")
    print("|---|---:|---:|:---:|")
    for name, result, target, ok in headline_checks(h, s["false"]):
        print(f"| {name} | {result} | {target} | {_met(ok)} |")

    print(
        "\nFalse incidents (judged time outside outage windows; 95 % = exact Poisson, two-sided):\n"
    )
    print("| tier | series | service-days | false incidents | per service-day | 95 % upper | met |")
    print("|---|---:|---:|---:|---:|---:|:---:|")
    for tier in (*TIERS, "all"):
        row = s["false"][tier]
        if not row["series"]:
            continue
        ok = row["rate"] <= TARGETS["false_rate"] and row["upper95"] <= TARGETS["false_upper"]
        print(
            f"| {tier} | {row['series']} | {row['service_days']:.0f} | {row['false']} | "
            f"{_f(row['rate'], 4)} | {_f(row['upper95'], 4)} | {_met(ok) if tier != 'all' else ''} |"
        )

    print("\nFalse incidents by cause (counts; the first cause that applies):\n")
    print("| tier | " + " | ".join(CAUSES) + " |")
    print("|---|" + "---:|" * len(CAUSES))
    for tier in (*TIERS, "all"):
        if not s["false"][tier]["series"]:
            continue
        cells = [str(s["causes"][tier].get(c, 0)) for c in CAUSES]
        print(f"| {tier} | " + " | ".join(cells) + " |")

    print(
        '\n"Elsewhere" false incidents per service-day by the series\' noise (count / service-days):\n'
    )
    labels = [_bin(ALPHA_BINS, i) for i in range(len(ALPHA_BINS) - 1)]
    phis = [f"φ {_bin(PHI_BINS, i)}" for i in range(len(PHI_BINS) - 1)]
    print("| over-dispersion | " + " | ".join(phis) + " |")
    print("|---|" + "---:|" * len(phis))
    for a, label in enumerate(labels):
        cells = []
        for p in range(len(phis)):
            cell = s["noise"][f"{a},{p}"]
            rate = cell["false"] / cell["service_days"] if cell["service_days"] else math.nan
            cells.append(f"{_f(rate, 4)} ({cell['false']} / {cell['service_days']:.0f})")
        print(f"| α {label} | " + " | ".join(cells) + " |")

    print("\nRecall and delay (buckets, over hits) per tier, outages in scope:\n")
    print("| class | tier | outages | recall | amber | delay p50 | delay p90 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for group in RECALL_GROUPS:
        for tier in (*TIERS, "all"):
            cell = s["recall"][f"{group}|{tier}"]
            if not cell["outages"]:
                continue
            print(
                f"| {group} | {tier} | {cell['outages']} | {_f(cell['recall'])} | "
                f"{_f(cell['amber'])} | {_f(cell['delay_p50'], 2)} | {_f(cell['delay_p90'], 2)} |"
            )

    print("\nDelay by onset shape (buckets, p50 / p90 / hits):\n")
    print("| class | step | ramp 5–30 min |")
    print("|---|---|---|")
    for klass in OUTAGE_CLASSES:
        cells = []
        for shape in ("step", "ramp"):
            c = s["delay_by_shape"][f"{klass}|{shape}"]
            cells.append(f"{_f(c['delay_p50'], 2)} / {_f(c['delay_p90'], 2)} / {c['hits']}")
        print(f"| {klass} | " + " | ".join(cells) + " |")

    print(
        "\nMissed outages in scope, by what happened (never: no incident decided in the window; "
        "late: the first one decided after the true end; covered: an incident decided before the "
        "onset was still open):\n"
    )
    print("| class | never | late | covered |")
    print("|---|---:|---:|---:|")
    for group in RECALL_GROUPS:
        m = h["misses"][group]
        print(f"| {group} | {m.get('never', 0)} | {m.get('late', 0)} | {m.get('covered', 0)} |")

    scope = s["out_of_scope"]
    parts = ", ".join(f"{k} {v['outages']} ({v['found']} found)" for k, v in scope.items())
    print(
        f"\nOutages: {s['outages']['all']} in all, {s['outages']['in_scope']} in scope; below "
        f"{MIN_PLATEAU_EXPECTED:g} expected reports per bucket at the plateau (out of the "
        f"targets): {parts}."
    )
    print(
        f"Ends: median error {_f(h['end_error_median'], 1)} buckets; "
        f"{h['open_at_end']} found outages' incidents still open at the end of the series; "
        f"{h['splits']} split incidents."
    )


def print_sweep(name: str, runs: list[tuple[str, str, dict]]) -> None:
    print(f"\n### Sweep of {name}\n")
    tiers = list(TIERS)
    print(
        "| set | value | "
        + " | ".join(f"false/day {t}" for t in tiers)
        + " | max 95 % upper | recall ≥5× | recall 3–5× | amber 2–3× | delay p50 ≥10× "
        "| delay p90 ≥5× | end ≤3 |"
    )
    print("|---|---|" + "---:|" * (len(tiers) + 7))
    for set_name, value, s in runs:
        h = s["headline"]
        rates = " | ".join(_f(s["false"][t]["rate"], 4) for t in tiers)
        print(
            f"| {set_name} | {value} | {rates} | {_f(h['false_upper_max'], 4)} | "
            f"{_f(h['recall_5x'])} | {_f(h['recall_3_5x'])} | {_f(h['amber_2_3x'])} | "
            f"{_f(h['delay_median_10x'], 2)} | {_f(h['delay_p90_5x'], 2)} | {_f(h['end_within'])} |"
        )


def _plain(value):
    """JSON-safe: NaN becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] + " " + __doc__.splitlines()[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", choices=("dev", "heldout", "both"), default="heldout")
    parser.add_argument("--series-per-tier", type=int, default=150, metavar="N")
    parser.add_argument(
        "--set-detector",
        type=_assignment,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a detector setting for every run (repeatable)",
    )
    parser.add_argument(
        "--sweep",
        type=_assignment,
        metavar="NAME=V1,V2,...",
        help="score every value of one setting (for list settings separate values with ';')",
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every figure here")
    args = parser.parse_args()
    if args.series_per_tier < 1:
        parser.error("--series-per-tier must be at least 1")

    base = dict(args.set_detector)
    variants: list[tuple[str, dict]] = [("", base)]
    if args.sweep:
        name, values = args.sweep
        items = values.split(";") if ";" in values else values.split(",")
        variants = [(item.strip(), {**base, name: item.strip()}) for item in items if item.strip()]
    for _, overrides in variants:
        try:
            tuned(overrides)
        except ValueError as exc:
            parser.error(str(exc))
    sets = ["heldout", "dev"] if args.set == "both" else [args.set]

    jobs = [
        (set_name, tier, number, tuple(sorted(overrides.items())))
        for set_name in sets
        for _, overrides in variants
        for tier in TIERS
        for number in range(args.series_per_tier)
    ]
    started = time.perf_counter()
    grouped = defaultdict(list)
    with Pool(args.processes) as pool:
        for done, record in enumerate(pool.imap_unordered(evaluate, jobs, chunksize=2), 1):
            grouped[(record["set"], record["overrides"])].append(record)
            if done % max(1, len(jobs) // 10) == 0:
                elapsed = time.perf_counter() - started
                print(f"{done}/{len(jobs)} series, {elapsed:.0f} s", file=sys.stderr)
    wall = time.perf_counter() - started

    described = ", ".join(f"{k}={v}" for k, v in base.items()) or "shipped defaults"
    print(
        f"## Detection benchmark: {args.series_per_tier} series per tier and set, "
        f"21 days of history + {JUDGED_DAYS} judged days, {described}\n"
    )
    report = {
        "series_per_tier": args.series_per_tier,
        "judged_days": JUDGED_DAYS,
        "detector": base,
        "sweep": args.sweep[0] if args.sweep else None,
        "targets": TARGETS,
        "scope": {
            "min_plateau_expected": MIN_PLATEAU_EXPECTED,
            "min_plateau_excess": MIN_PLATEAU_EXCESS,
        },
        "processes": args.processes,
        "wall_seconds": wall,
        "runs": [],
    }
    swept = []
    for set_name in sets:
        for value, overrides in variants:
            key = (set_name, tuple(sorted(overrides.items())))
            summary = summarize(grouped[key])
            label = "held-out set" if set_name == "heldout" else "dev set"
            if args.sweep:
                label += f", {args.sweep[0]}={value}"
            report["runs"].append(
                {"set": set_name, "detector": overrides, "value": value, "summary": summary}
            )
            swept.append((set_name, value, summary))
            if not args.sweep:
                print_report(label, summary)
    if args.sweep:
        print_sweep(args.sweep[0], swept)
    cpu = sum(r["summary"]["backtest_seconds"] for r in report["runs"])
    print(
        f"\n{len(jobs)} series in {wall:.0f} s wall on {args.processes} processes "
        f"({cpu:.0f} s of backtest CPU, {cpu / len(jobs):.2f} s per series)."
    )
    if args.json:
        args.json.write_text(json.dumps(_plain(report), indent=1) + "\n")


if __name__ == "__main__":
    main()
