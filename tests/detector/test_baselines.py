import numpy as np
import pytest

from analytics.detector.baselines import BaselineSettings, fit_baselines

PER_DAY = 288
PER_WEEK = 7 * PER_DAY


def weeks_of(profile_day: np.ndarray, weeks: int) -> np.ndarray:
    return np.tile(profile_day, 7 * weeks)


def test_the_baseline_follows_the_time_of_day():
    day = np.where(np.arange(PER_DAY) < PER_DAY // 2, 2.0, 10.0)
    fit = fit_baselines(weeks_of(day, 4)[None, :], 0, PER_DAY)
    assert fit.expected[0, 10] == pytest.approx(2.0, rel=0.05)
    assert fit.expected[0, 200] == pytest.approx(10.0, rel=0.05)


def test_the_baseline_follows_the_day_of_the_week():
    week = np.full(PER_WEEK, 10.0)
    week[5 * PER_DAY :] = 2.0  # quiet weekends
    fit = fit_baselines(np.tile(week, 4)[None, :], 0, PER_DAY)
    assert fit.expected[0, 2 * PER_DAY + 100] == pytest.approx(10.0, rel=0.1)
    assert fit.expected[0, 6 * PER_DAY + 100] == pytest.approx(2.0, rel=0.2)


def test_one_spike_does_not_move_the_baseline_much():
    values = np.full(4 * PER_WEEK, 4.0)
    values[PER_WEEK + 100] = 500.0
    fit = fit_baselines(values[None, :], 0, PER_DAY)
    assert fit.expected[0, 100] < 5.0


def test_buckets_inside_incidents_are_left_out():
    values = np.full(4 * PER_WEEK, 3.0)
    values[PER_WEEK : PER_WEEK + PER_DAY] = 300.0
    excluded = np.zeros_like(values, dtype=bool)
    excluded[PER_WEEK : PER_WEEK + PER_DAY] = True
    fit = fit_baselines(values[None, :], 0, PER_DAY, excluded[None, :])
    assert np.allclose(fit.expected, 3.0)


def test_growth_is_followed_by_the_level_factor():
    values = np.full(4 * PER_WEEK, 10.0)
    values[-PER_WEEK:] = 15.0  # the last week grew by half
    fit = fit_baselines(values[None, :], 0, PER_DAY)
    assert fit.level[0] > 1.15
    assert fit.expected[0].mean() == pytest.approx(15.0, rel=0.1)


def test_a_level_shift_is_mostly_followed_within_three_days():
    values = np.full(3 * PER_WEEK, 10.0)
    values[-3 * PER_DAY :] = 15.0
    fit = fit_baselines(values[None, :], 0, PER_DAY)
    assert fit.expected[0].mean() > 14.0


def test_a_quiet_holiday_does_not_lower_the_next_days_baseline():
    values = np.full(3 * PER_WEEK, 10.0)
    values[-PER_DAY:] = 5.0  # yesterday was a holiday
    fit = fit_baselines(values[None, :], 0, PER_DAY)
    assert fit.expected[0].mean() == pytest.approx(10.0, rel=0.03)


def test_an_outage_in_the_last_hours_pulls_the_level_only_a_little():
    values = np.full(3 * PER_WEEK, 10.0)
    values[-36:] = 1000.0  # three hours at 100×, flagged as an incident
    excluded = np.zeros_like(values, dtype=bool)
    excluded[-36:] = True
    fit = fit_baselines(values[None, :], 0, PER_DAY, excluded[None, :])
    assert 1.0 < fit.level[0] < 1.12


def test_a_new_service_with_two_days_uses_its_time_of_day():
    day = np.where(np.arange(PER_DAY) < PER_DAY // 2, 1.0, 9.0)
    history = np.full((1, 4 * PER_WEEK), np.nan)
    history[0, -2 * PER_DAY :] = np.tile(day, 2)
    fit = fit_baselines(history, 0, PER_DAY)
    assert fit.history_days[0] == 2
    assert fit.expected[0, 10] < 3.0 < 7.0 < fit.expected[0, 250]


def test_under_two_days_of_history_falls_back_to_the_overall_level():
    history = np.full((1, PER_WEEK), np.nan)
    history[0, -30:] = 4.0
    fit = fit_baselines(history, 0, PER_DAY)
    assert np.allclose(fit.expected, 4.0)


def test_no_history_gives_zero():
    fit = fit_baselines(np.full((1, PER_WEEK), np.nan), 0, PER_DAY)
    assert np.all(fit.expected == 0.0)


def test_noise_is_measured_out_of_sample_from_history():
    rng = np.random.default_rng(4)
    mu = 20.0
    wandering = rng.poisson(mu * np.exp(rng.normal(0, 0.4, 4 * PER_WEEK) - 0.08))
    poisson = rng.poisson(mu, size=4 * PER_WEEK)
    fit = fit_baselines(np.vstack([wandering, poisson]).astype(float), 0, PER_DAY)
    assert fit.noise.shape == (2, 5)
    assert fit.noise[0, 0] == pytest.approx(0.4, abs=0.08)
    assert fit.noise[1, 0] < 0.15


def test_only_the_configured_weeks_are_used():
    values = np.concatenate([np.full(4 * PER_WEEK, 50.0), np.full(2 * PER_WEEK, 5.0)])
    fit = fit_baselines(values[None, :], 0, PER_DAY, settings=BaselineSettings(weeks=2))
    assert np.allclose(fit.expected, 5.0)
