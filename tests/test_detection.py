from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from analytics.detection import (
    DEFAULTS,
    Evidence,
    Level,
    Tracker,
    advance,
    assess,
    log_likelihood_ratio,
    tuned,
)

W = timedelta(minutes=5)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def level(observed, expected, alpha=0.0):
    return Level(int(assess(observed, expected, alpha)[0]))


def feed(counts, expected=2.0, start=T0, alpha=0.0):
    tracker, history = Tracker(), []
    for i, observed in enumerate(counts):
        tracker = advance(tracker, Evidence(start + i * W, observed, expected, alpha), W)
        history.append(tracker.incident)
    return history


def test_a_quiet_service_is_not_flagged_for_a_couple_of_reports():
    assert level(2, 0.0) == Level.OK
    assert level(4, 0.2) == Level.OK  # very improbable, but below the minimum count


def test_low_counts_are_judged_by_their_probability():
    assert level(10, 0.5) == Level.PROBLEMS  # p ≈ 2e-10, 20×
    assert level(6, 1.0) == Level.POSSIBLE  # p ≈ 6e-4
    assert level(5, 2.0) == Level.OK  # p ≈ 0.05: ordinary


def test_high_counts_need_a_real_ratio_not_just_a_tiny_probability():
    assert level(2300, 2000.0) == Level.OK  # p ≈ 3e-11 under Poisson, but only 1.15×
    assert level(3100, 2000.0) == Level.POSSIBLE
    assert level(4500, 2000.0) == Level.PROBLEMS


def test_over_dispersion_makes_a_noisy_service_harder_to_flag():
    assert level(50, 20.0, alpha=0.0) == Level.PROBLEMS
    assert level(50, 20.0, alpha=0.3) == Level.OK


def test_fewer_reports_than_usual_is_not_an_outage():
    assert level(0, 500.0) == Level.OK


def test_assess_is_vectorised():
    levels, probability, ratio = assess(np.array([0, 40]), np.array([3.0, 3.0]))
    assert (
        list(levels) == [0, 2] and probability[1] < 1e-12 and ratio[1] == pytest.approx(13.3, 0.01)
    )


def test_an_incident_opens_on_the_first_bucket_at_problems_with_its_evidence():
    history = feed([2, 3, 40, 60, 30])
    assert history[1] is None
    opened = history[2]
    assert (opened.status, opened.started_at, opened.opened_reports) == ("open", T0 + 2 * W, 40)
    assert opened.opened_probability < 1e-15
    assert (history[4].peak_reports, history[4].peak_at) == (60, T0 + 3 * W)


def test_moderate_evidence_opens_an_incident_only_when_it_persists():
    once = feed([2, 9, 2, 2, 2], expected=2.0)  # 9 vs 2: p ≈ 2e-4, "possible"
    assert all(i is None for i in once)
    # Three in a row: the 4× CUSUM gathers 6.5 per bucket and crosses 14 on the third.
    thrice = feed([2, 9, 9, 9, 2], expected=2.0)
    assert thrice[2] is None
    assert thrice[3].status == "open" and thrice[3].started_at == T0 + W
    assert thrice[3].level == Level.POSSIBLE


def test_it_recovers_then_resolves_after_three_quiet_buckets():
    history = feed([40, 50, 9, 2, 2, 2, 2])
    assert history[2].status == "open"  # 9 vs 2: still elevated
    assert history[3].status == "recovering" and history[3].quiet_buckets == 1
    assert history[5].status == "resolved"
    assert history[5].ended_at == T0 + 3 * W  # the end of the last elevated bucket


def test_a_new_spike_within_the_cool_down_continues_the_same_incident():
    history = feed([40, 2, 2, 2, 2, 45])
    assert history[3].status == "resolved"
    assert history[5].status == "open" and history[5].started_at == T0


def test_a_spike_after_the_cool_down_is_a_new_incident():
    history = feed([40] + [2] * (3 + DEFAULTS.cooldown_buckets + 1) + [45])
    assert history[-1].status == "open" and history[-1].started_at > T0


def test_a_filling_bucket_is_judged_against_the_elapsed_part_of_its_baseline():
    # 20 reports one minute into a bucket that usually gets 20 in five minutes.
    filling = Evidence(T0, 20, 20.0, closed=False, fraction=0.2)
    assert filling.judged()[0] == Level.PROBLEMS
    assert Evidence(T0, 20, 20.0).judged()[0] == Level.OK


def test_a_filling_bucket_never_counts_as_quiet_or_towards_a_streak():
    tracker = advance(Tracker(), Evidence(T0, 30, 2.0, closed=False, fraction=0.5), W)
    assert tracker.incident.status == "open"
    tracker = advance(tracker, Evidence(T0 + W, 0, 2.0, closed=False, fraction=0.5), W)
    assert tracker.incident.status == "open" and tracker.incident.quiet_buckets == 0
    assert advance(Tracker(), Evidence(T0, 8, 2.0, closed=False), W).onsets == ()


def test_an_incidents_own_buckets_do_not_reopen_it_after_it_resolves():
    history = feed([40, 50, 30, 2, 2, 2, 2, 2, 2], expected=2.0)
    assert history[5].status == "resolved"
    assert all(i.status == "resolved" for i in history[5:])


def test_a_doubling_at_low_volume_is_found_by_accumulating_evidence():
    # 5 expected, 11 observed: no single bucket is even "possible"; the 2× CUSUM gains 2.6 per
    # bucket and crosses 14 on the sixth.
    history = feed([5, 5] + [11] * 8, expected=5.0)
    assert all(i is None for i in history[:7])
    assert history[7].status == "open" and history[7].started_at == T0 + 2 * W


def test_a_modest_rise_at_high_volume_is_drift_not_an_outage():
    history = feed([1300] * 48, expected=1000.0)  # +30 % for four hours
    assert all(i is None for i in history)


def test_the_log_likelihood_ratio_is_the_count_models():
    for alpha in (0.0, 0.05):
        for observed, expected in ((0, 3.0), (7, 3.0), (2500, 1000.0)):
            if alpha == 0.0:
                high = stats.poisson.logpmf(observed, 2 * expected)
                low = stats.poisson.logpmf(observed, expected)
            else:
                size = 1 / alpha
                high = stats.nbinom.logpmf(observed, size, size / (size + 2 * expected))
                low = stats.nbinom.logpmf(observed, size, size / (size + expected))
            assert log_likelihood_ratio(observed, expected, 2.0, alpha) == pytest.approx(
                high - low, rel=1e-9, abs=1e-9
            )


def test_a_big_outage_ends_when_its_tail_falls_below_twice_the_baseline():
    # 100× for three buckets, then a tail at 3× and 1.6×: the tail at 3× is still the outage,
    # the tail at 1.6× is not (the recovery test compares with 4× for an outage this large).
    history = feed([10, 1000, 1000, 1000, 30, 30, 16, 16, 16, 16, 16], expected=10.0)
    resolved = next(i for i in history if i is not None and i.status == "resolved")
    assert resolved.ended_at == T0 + 6 * W


def test_a_two_fold_outage_stays_open_while_it_lasts():
    history = feed([100] * 3 + [200] * 20 + [100] * 6, expected=100.0)
    opened = [i for i in history[3:23] if i is not None]
    assert opened and all(i.status == "open" for i in history[8:23])
    assert history[-1].status == "resolved" and history[-1].ended_at == T0 + 23 * W


def test_the_tracker_survives_a_round_trip_through_json():
    tracker = Tracker()
    for i, observed in enumerate([2, 9, 9]):
        tracker = advance(tracker, Evidence(T0 + i * W, observed, 2.0), W)
    assert tracker.onsets[1].score > 0
    assert Tracker.from_json(tracker.to_json(), tracker.incident) == tracker


def test_settings_can_be_tuned_from_strings_and_bad_values_are_refused():
    settings = tuned({"onset_threshold": "20", "onset_ratios": "2,8", "problems_min_reports": 25})
    assert (settings.onset_threshold, settings.onset_ratios) == (20.0, (2.0, 8.0))
    assert (
        settings.problems_min_reports == 25 and settings.problems_ratio == DEFAULTS.problems_ratio
    )
    assert tuned({}) is DEFAULTS
    for bad, message in (
        ({"no_such_setting": 1}, "unknown detector setting"),
        ({"problems_min_reports": 2.5}, "must be a whole number"),
        ({"problems_probability": 2}, "between 0 and 1"),
        ({"onset_ratios": "two"}, "a list of numbers"),
        ({"recovery_ratios": [3]}, "two numbers"),
        ({"expected_floor": "nan"}, "finite"),
        ({"possible_ratio": True}, "must be a number"),
    ):
        with pytest.raises(ValueError, match=message):
            tuned(bad)
