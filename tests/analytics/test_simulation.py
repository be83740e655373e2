from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from analytics.models import Baseline, ServiceBucket
from analytics.scenarios import Outage, ServiceProfile, daily_rhythm, generate_reports
from reports.models import Report

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_the_outage_ramps_holds_then_leaves_a_decaying_tail():
    outage = Outage(start=T0, multipliers={"outlook": 40.0})
    assert outage.factor("outlook", T0 - timedelta(minutes=1)) == 1.0
    assert outage.factor("outlook", T0 + timedelta(minutes=5)) == pytest.approx(20.5)
    assert outage.factor("outlook", T0 + timedelta(minutes=30)) == 40.0
    just_fixed = outage.factor("outlook", T0 + timedelta(minutes=56))
    later = outage.factor("outlook", T0 + timedelta(minutes=90))
    assert 1.0 < later < just_fixed < 40.0
    assert outage.factor("outlook", T0 + timedelta(hours=3)) == 1.0
    assert outage.factor("gmail", T0 + timedelta(minutes=30)) == 1.0


def test_the_daily_rhythm_is_low_at_night_and_high_in_the_afternoon():
    night = daily_rhythm(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), -5.0)  # 04:00 local
    afternoon = daily_rhythm(datetime(2026, 3, 2, 21, 0, tzinfo=UTC), -5.0)  # 16:00 local
    assert night == pytest.approx(0.2) and afternoon == pytest.approx(1.0)


def test_outage_reports_come_mostly_from_the_outage_region():
    profile = ServiceProfile("outlook", 5.0, (0.5, 0.5), 0.0)
    outage = Outage(start=T0, multipliers={"outlook": 30.0})
    reports = generate_reports(
        np.random.default_rng(3),
        [profile],
        T0 + timedelta(minutes=15),
        T0 + timedelta(minutes=45),
        outage=outage,
    )
    north_america = sum(r.country in {"US", "CA", "MX"} for r in reports) / len(reports)
    assert len(reports) > 500 and north_america > 0.75


def test_simulate_backfills_marked_reports_once_and_rebuilds_baselines(catalog):
    call_command("simulate", backfill_days=1, verbosity=0)
    first = Report.objects.count()
    assert first > 0 and not Report.objects.filter(is_simulated=False).exists()
    assert ServiceBucket.objects.exists() and Baseline.objects.exists()
    call_command("simulate", backfill_days=1, verbosity=0)
    assert Report.objects.count() - first < first / 100  # only the minutes since the last run


def test_simulate_with_an_unknown_group_fails_with_one_line(catalog):
    with pytest.raises(CommandError, match="no active services in group"):
        call_command("simulate", outage_group="nope", backfill_days=0)
