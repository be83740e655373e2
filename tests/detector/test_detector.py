"""The pure detector: evidence, windows, noise, the state machine and its replay loop."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analytics.detector import DEFAULTS, Event, Level, Status, Tracker, advance, ratio, tuned
from analytics.detector.evidence import judge, upper_tail
from analytics.detector.replay import judge_series, replay
from analytics.detector.windows import LONGEST, WINDOWS, measure_noise, trailing_sums

W = timedelta(minutes=5)
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
QUIET = [0.2] * len(WINDOWS)


def verdict(observed, expected, noise=QUIET, closed=True):
    """Judge the last of a few buckets (padded with unknown buckets before them)."""
    observed = [np.nan] * (LONGEST - len(observed)) + list(observed)
    expected = [np.nan] * (LONGEST - len(expected)) + list(expected)
    v = judge(np.array([observed]), np.array([expected]), np.array([noise]), np.array([closed]))
    return int(v.level[0]), int(v.window[0]), float(v.window_probability[0])


def run(counts, expected=10.0, noise=QUIET):
    """Replay a series of closed buckets at a flat baseline; the tracker and the steps."""
    counts = np.asarray(counts, dtype=float)
    judged = judge_series(
        counts,
        np.full(len(counts), expected),
        np.tile(noise, (len(counts), 1)),
        0,
        len(counts),
        T0,
        W,
    )
    return replay(Tracker(), judged, W)


def test_the_pure_detector_imports_without_django_or_a_configured_project():
    code = (
        "import sys, analytics.detector.replay, analytics.detector.evidence, "
        "analytics.detector.baselines\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_tail_probability_is_poisson_without_noise_and_heavier_with_it():
    assert upper_tail(6, 1.0, 0.0) == pytest.approx(0.000594, rel=1e-2)
    assert upper_tail(30, 10.0, 0.5) > 100 * upper_tail(30, 10.0, 0.0)
    assert upper_tail(0, 10.0, 0.3) == pytest.approx(1.0)


def test_a_quiet_service_is_not_flagged_for_a_couple_of_reports():
    assert verdict([2], [0.05]) == (Level.OK, 0, 1.0)


def test_one_bucket_opens_only_far_above_its_baseline():
    level, window, p = verdict([120], [10.0])  # 12×
    assert (level, window) == (Level.PROBLEMS, 1) and p < 1e-6
    assert verdict([50], [10.0])[:2] == (Level.POSSIBLE, 0)  # 5×: a burst looks like this


def test_a_noisy_service_needs_more_to_be_flagged():
    assert verdict([100], [10.0], noise=[0.2] * 5)[1] == 1
    assert verdict([100], [10.0], noise=[1.0] * 5)[1] == 0


def test_fewer_reports_than_usual_is_not_an_outage():
    assert verdict([0, 0, 0], [50.0, 50.0, 50.0])[:2] == (Level.OK, 0)


def test_a_window_opens_only_when_its_buckets_persist_and_the_latest_is_still_up():
    assert verdict([40, 40, 40], [10.0] * 3)[1] == 3  # 4× for 15 minutes
    assert verdict([130, 5, 5], [10.0] * 3)[1] == 0  # one spike remembered, not a persistent rise
    assert verdict([40, 40, 5], [10.0] * 3)[1] == 0  # over by now


def test_a_filling_bucket_opens_on_its_own_but_never_with_a_window():
    observed = [np.nan] * (LONGEST - 3) + [40, 40, 12]
    expected = [np.nan] * (LONGEST - 3) + [10, 10, 1.0]  # the filling bucket's scaled baseline
    v = judge(np.array([observed]), np.array([expected]), np.array([QUIET]), np.array([False]))
    assert int(v.window[0]) == 1  # 12× its elapsed part


def test_a_big_outage_opens_in_its_first_bucket_and_records_when_it_was_decided():
    tracker, steps = run([10] * 12 + [300] * 6 + [10] * 6)
    (j, step), *_ = steps
    incident = step.tracker.incident
    assert step.events == (Event.OPENED,)
    assert incident.started_at == T0 + 12 * W
    assert incident.detected_at == T0 + 13 * W  # the end of the bucket that decided
    assert (incident.opened_reports, incident.opened_buckets) == (300, 1)


def test_a_moderate_outage_opens_once_it_has_persisted_and_says_when_it_began():
    _, steps = run([10] * 12 + [40] * 8 + [10] * 6)
    opened = [s.tracker.incident for _, s in steps if Event.OPENED in s.events]
    assert len(opened) == 1
    assert opened[0].started_at == T0 + 12 * W  # reports began rising
    assert opened[0].detected_at == T0 + 15 * W  # three buckets later the window was enough
    assert opened[0].opened_buckets == 3


def test_a_short_burst_does_not_open_an_incident():
    _, steps = run([10] * 12 + [50, 30, 15] + [10] * 12)
    assert not any(Event.OPENED in s.events for _, s in steps)


def test_it_recovers_then_resolves_after_three_quiet_buckets_and_ends_at_the_last_elevated():
    tracker, steps = run([10] * 12 + [300] * 3 + [10] * 4)
    events = [e for _, s in steps for e in s.events]
    assert events == [Event.OPENED, Event.RECOVERING, Event.RESOLVED]
    assert tracker.incident.status == Status.RESOLVED
    assert tracker.incident.ended_at == T0 + 15 * W


def test_a_new_spike_within_the_cool_down_continues_the_same_incident():
    tracker, steps = run([10] * 12 + [300] * 2 + [10] * 5 + [300] + [10] * 4)
    events = [e for _, s in steps for e in s.events]
    assert events.count(Event.OPENED) == 1 and Event.REOPENED in events
    assert tracker.incident.started_at == T0 + 12 * W


def test_a_spike_after_the_cool_down_is_a_new_incident():
    _, steps = run([10] * 12 + [300] * 2 + [10] * 20 + [300] + [10] * 4)
    assert [e for _, s in steps for e in s.events].count(Event.OPENED) == 2


def test_a_two_fold_outage_stays_open_while_it_lasts():
    tracker, steps = run([10] * 12 + [300] + [25] * 30)
    assert tracker.incident.status == Status.OPEN
    assert not any(Event.RESOLVED in s.events for _, s in steps)


def test_a_filling_bucket_never_counts_as_quiet():
    tracker, _ = run([10] * 12 + [300])
    j = tracker.incident
    filling = advance(
        tracker,
        _judgement(start=T0 + 13 * W, observed=0, closed=False),
        W,
    )
    assert filling.tracker.incident == j and filling.events == ()


def _judgement(start, observed, closed):
    from analytics.detector import Judgement

    return Judgement(
        start=start,
        observed=observed,
        expected=10.0,
        closed=closed,
        decided_at=start + timedelta(minutes=1),
        level=Level.OK,
        probability=1.0,
    )


def test_noise_is_measured_per_window_and_never_grows_with_the_window():
    rng = np.random.default_rng(3)
    mu = np.full(4000, 50.0)
    steady = rng.poisson(mu).astype(float)
    wandering = rng.poisson(mu * np.exp(rng.normal(0, 0.5, 4000) - 0.125)).astype(float)
    quiet, noisy = measure_noise(steady, mu), measure_noise(wandering, mu)
    assert quiet[0] == pytest.approx(0.1)  # the floor: counting explains it all
    assert noisy[0] == pytest.approx(0.5, abs=0.08)
    assert np.all(np.diff(noisy) <= 0)


def test_trailing_sums_skip_windows_with_unknown_buckets():
    sums = trailing_sums(np.array([1.0, 2.0, np.nan, 4.0, 5.0]), 2)
    assert np.isnan(sums[0]) and sums[1] == 3.0 and np.isnan(sums[2]) and sums[4] == 9.0


def test_one_ratio_rule_with_a_floor_and_a_cap():
    assert ratio(412, 18) == 22.9
    assert ratio(5, 0.0) == 10.0  # expected 0 is read as half a report
    assert ratio(10**7, 1.0) == 1000.0
    assert ratio(60, 3.0, buckets=12) == 10.0  # the floor is per bucket of the window


def test_settings_can_be_tuned_from_strings_and_bad_values_are_refused():
    assert tuned({"open_ratios": "10,6,4,3,3"}).open_ratios == (10, 6, 4, 3, 3)
    assert tuned({"open_min_reports": "20"}).open_min_reports == 20
    assert tuned(None) is DEFAULTS
    for bad, message in [
        ({"nope": 1}, "unknown detector setting"),
        ({"open_min_reports": 2.5}, "whole number"),
        ({"open_ratios": "2,3"}, "one per window"),
        ({"still_ratio": "nan"}, "finite"),
    ]:
        with pytest.raises(ValueError, match=message):
            tuned(bad)
