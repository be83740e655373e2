from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from analytics import baselines, pipeline
from analytics.binning import refresh_buckets
from analytics.detector import Level
from analytics.detector.baselines import fit_baselines, slot_of_week
from analytics.models import (
    Baseline,
    DetectorTuning,
    GroupIncident,
    Incident,
    ServiceBucket,
    ServiceStatus,
)
from reports.models import Service
from tests.factories import NOON, make_incident, make_reports


def set_baseline(service: Service, expected: float, now, noise: float = 0.2) -> None:
    Baseline.objects.create(
        service=service, expected=[expected] * 2016, noise=[noise] * 5, updated_at=now
    )


def run_at(moment):
    return pipeline.refresh_analytics(moment)


def test_a_quiet_service_gets_a_no_problems_status(outlook):
    set_baseline(outlook, 3.0, NOON)
    make_reports(outlook, 3, at=NOON + timedelta(minutes=1))
    run_at(NOON + timedelta(minutes=2))
    status = ServiceStatus.objects.get(service=outlook)
    assert (status.level, status.observed, status.expected) == (Level.OK, 3, 3.0)
    assert not Incident.objects.exists()


def test_a_spike_opens_an_incident_while_its_bucket_is_still_filling(outlook):
    set_baseline(outlook, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 40, at=NOON + timedelta(minutes=1))
    run_at(NOON + timedelta(minutes=2))  # the 12:00 bucket is only two minutes old
    incident = Incident.objects.get(service=outlook)
    decided = NOON + timedelta(minutes=2)
    assert (incident.status, incident.started_at, incident.detected_at) == ("open", NOON, decided)
    # The numbers of the decision: 40 reports in the first two minutes, 40 % of a bucket's 3.
    assert (incident.opened_reports, incident.opened_buckets) == (40, 1)
    assert incident.opened_expected == pytest.approx(1.2)
    status = ServiceStatus.objects.get(service=outlook)
    assert (status.level, status.since) == (Level.PROBLEMS, decided)


def test_a_tuned_service_is_judged_with_its_own_settings(outlook, teams):
    for service in (outlook, teams):
        set_baseline(service, 3.0, NOON)
    DetectorTuning.objects.create(service=outlook, overrides={"open_min_reports": 100})
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 40, at=NOON + timedelta(minutes=1))
    make_reports(teams, 40, at=NOON + timedelta(minutes=1), prefix="t")
    for minute in range(2, 20):
        run_at(NOON + timedelta(minutes=minute))
    assert list(Incident.objects.values_list("service__slug", flat=True)) == ["microsoft-teams"]


def test_a_tuning_with_a_bad_setting_is_refused_with_a_field_error(outlook):
    tuning = DetectorTuning(service=outlook, overrides={"still_ratio": 0.5})
    with pytest.raises(ValidationError) as error:
        tuning.full_clean()
    assert "still_ratio must be at least 1" in str(error.value.message_dict["overrides"])


def test_running_every_minute_does_not_open_a_second_incident_or_count_quiet_twice(outlook):
    set_baseline(outlook, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 40, at=NOON + timedelta(minutes=1))
    for minute in range(2, 14):  # 12:05 closes empty at 12:10: one quiet bucket
        run_at(NOON + timedelta(minutes=minute))
    incident = Incident.objects.get(service=outlook)
    assert incident.status == "recovering" and incident.quiet_buckets == 1


def test_the_incident_resolves_after_three_quiet_buckets_and_the_peak_is_kept(outlook):
    set_baseline(outlook, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 40, at=NOON + timedelta(minutes=1))
    make_reports(outlook, 70, at=NOON + timedelta(minutes=6), prefix="p")
    for minute in range(2, 32):
        run_at(NOON + timedelta(minutes=minute))
    incident = Incident.objects.get(service=outlook)
    assert incident.status == "resolved"
    assert (incident.peak_reports, incident.peak_at) == (70, NOON + timedelta(minutes=5))
    assert incident.ended_at == NOON + timedelta(minutes=10)
    assert ServiceStatus.objects.get(service=outlook).level == Level.OK


def test_baselines_are_rebuilt_from_history_without_incident_buckets(outlook):
    start = NOON - timedelta(days=8)
    for day in range(8):
        make_reports(outlook, 4, at=start + timedelta(days=day), prefix=f"d{day}")
    make_reports(outlook, 90, at=NOON - timedelta(days=2), prefix="spike")
    refresh_buckets(start - timedelta(hours=1), NOON)
    spike = NOON - timedelta(days=2)
    make_incident(
        outlook, started_at=spike, ended_at=spike + timedelta(minutes=5), reports=90, expected=4
    )
    baselines.rebuild_baselines(NOON)
    baseline = Baseline.objects.get(service=outlook)
    monday_noon = baseline.expected[144]
    assert 1.0 < monday_noon < 5.0  # the 90-report day is left out
    assert len(baseline.expected) == 2016


def test_the_rebuild_stores_exactly_the_fit_of_the_buckets_it_read(outlook, teams, monkeypatch):
    # Buckets written straight into the table, read back in batches of one (the packed read and
    # the binary write each row by row): what is stored is the pure fit of the same counts.
    rng = np.random.default_rng(1)
    width = timedelta(minutes=5)
    start = NOON - timedelta(weeks=8)
    counts = rng.poisson(3.0, size=(2, 8 * 2016)).astype(float)
    counts[1, :3000] = 0  # teams began later: its first bucket is where its history starts
    counts[1, 3000] = 1
    ServiceBucket.objects.bulk_create(
        ServiceBucket(service=service, start=start + i * width, reports=int(n))
        for service, row in zip((outlook, teams), counts, strict=True)
        for i, n in enumerate(row)
        if n
    )
    monkeypatch.setattr(baselines, "BASELINE_BATCH", 1)
    baselines.rebuild_baselines(NOON, [outlook.pk, teams.pk])
    history = counts.copy()
    history[1, :3000] = np.nan
    fit = fit_baselines(history, slot_of_week(start, width), 288, np.zeros(history.shape, bool))
    for row, service in enumerate((outlook, teams)):
        stored = Baseline.objects.get(service=service)
        assert stored.expected == pytest.approx(np.round(fit.expected[row], 4).tolist(), abs=0)
        assert stored.noise == pytest.approx(np.round(fit.noise[row], 4).tolist(), abs=0)
        assert (stored.level, stored.history_days) == (fit.level[row], fit.history_days[row])
        assert stored.updated_at == NOON


def test_a_service_without_history_gets_a_zero_baseline(outlook):
    assert baselines.rebuild_baselines(NOON) == Service.objects.active().count()
    assert set(Baseline.objects.get(service=outlook).expected) == {0.0}


def test_a_fourfold_rise_that_persists_opens_an_incident_across_runs_and_records_the_decision(
    outlook,
):
    # 5 expected per bucket: 22 (4.4×) in one bucket or two is a burst; three in a row are not.
    set_baseline(outlook, 5.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    for i in range(3):
        bucket = NOON + timedelta(minutes=5 * i)
        make_reports(outlook, 22, at=bucket + timedelta(minutes=4), prefix=f"b{i}")
        run_at(bucket + timedelta(minutes=4, seconds=30))  # near the end: no partial-bucket alarm
        assert not Incident.objects.exists()
    run_at(NOON + timedelta(minutes=16))  # the third bucket has closed
    incident = Incident.objects.get(service=outlook)
    assert (incident.status, incident.started_at) == ("open", NOON)
    assert incident.detected_at == NOON + timedelta(minutes=15)
    assert (incident.opened_reports, incident.opened_buckets) == (66, 3)
    assert incident.opened_probability < 1e-6


def test_a_single_burst_shows_possible_problems_without_opening_an_incident(outlook):
    set_baseline(outlook, 5.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 25, at=NOON + timedelta(minutes=4))  # 5×, one bucket: a viral post
    run_at(NOON + timedelta(minutes=6))
    assert ServiceStatus.objects.get(service=outlook).level == Level.POSSIBLE
    for minute in range(7, 30):
        run_at(NOON + timedelta(minutes=minute))
    assert not Incident.objects.exists()
    assert ServiceStatus.objects.get(service=outlook).level == Level.OK


def test_an_incident_names_the_countries_behind_its_excess(outlook):
    set_baseline(outlook, 3.0, NOON)
    for day in range(1, 4):  # normal days: mixed countries
        make_reports(outlook, 3, at=NOON - timedelta(days=day), country="GB", prefix=f"g{day}")
        make_reports(
            outlook, 3, at=NOON - timedelta(days=day, minutes=30), country="US", prefix=f"u{day}"
        )
    refresh_buckets(NOON - timedelta(days=4), NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 40, at=NOON + timedelta(minutes=1), country="US", prefix="out")
    make_reports(outlook, 2, at=NOON + timedelta(minutes=1), country="GB", prefix="gb")
    run_at(NOON + timedelta(minutes=3))
    countries = Incident.objects.get(service=outlook).countries
    assert countries[0]["country"] == "US" and countries[0]["share"] > 0.9


def test_services_of_one_group_in_incident_together_share_a_group_incident(catalog):
    teams = Service.objects.get(slug="microsoft-teams")
    outlook = Service.objects.get(slug="outlook")
    gmail = Service.objects.get(slug="gmail")
    for service in (teams, outlook, gmail):
        set_baseline(service, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    for service in (teams, outlook, gmail):
        make_reports(service, 40, at=NOON + timedelta(minutes=1), prefix=service.slug)
    run_at(NOON + timedelta(minutes=3))
    group_incident = GroupIncident.objects.get()
    assert group_incident.group.slug == "microsoft-365" and group_incident.ended_at is None
    assert set(group_incident.incidents.values_list("service__slug", flat=True)) == {
        "outlook",
        "microsoft-teams",
    }
    for minute in range(4, 40):  # everything calms down
        run_at(NOON + timedelta(minutes=minute))
    group_incident.refresh_from_db()
    assert group_incident.ended_at == NOON + timedelta(minutes=5)


def test_a_stale_tuning_is_ignored_with_a_warning_and_detection_goes_on(outlook, teams, caplog):
    for service in (outlook, teams):
        set_baseline(service, 3.0, NOON)
    DetectorTuning.objects.create(service=outlook, overrides={"onset_threshold": 18})
    run_at(NOON - timedelta(minutes=1))
    make_reports(teams, 40, at=NOON + timedelta(minutes=1), prefix="t")
    run_at(NOON + timedelta(minutes=2))
    assert list(Incident.objects.values_list("service__slug", flat=True)) == ["microsoft-teams"]
    assert "unknown detector setting 'onset_threshold'" in caplog.text


def test_after_a_pause_the_buckets_not_yet_judged_are_counted_before_they_are_judged(outlook):
    # The worker was down from 12:00 to 12:40, well past the 10-minute recount: the outage of
    # its first minutes is still counted, then judged bucket by bucket as it would have been.
    set_baseline(outlook, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    for i in range(8):
        make_reports(outlook, 40, at=NOON + timedelta(minutes=5 * i + 1), prefix=f"b{i}")
    run_at(NOON + timedelta(minutes=41))
    incident = Incident.objects.get(service=outlook)
    assert (incident.started_at, incident.detected_at) == (NOON, NOON + timedelta(minutes=5))
    assert incident.peak_reports == 40 and incident.status == "open"


def test_a_resolved_incident_is_forgotten_quietly_when_its_cool_down_ends(outlook):
    # Resolved at 12:10 (ended 12:05); the cool-down of 6 buckets ends at 12:35, in the middle
    # of a pass that judges 12:35 closed and 12:40 filling.
    set_baseline(outlook, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 40, at=NOON + timedelta(minutes=1))
    for minute in range(2, 40, 5):
        run_at(NOON + timedelta(minutes=minute))
    run_at(NOON + timedelta(minutes=41))
    incident = Incident.objects.get(service=outlook)
    assert (incident.status, incident.ended_at) == ("resolved", NOON + timedelta(minutes=5))
    assert ServiceStatus.objects.get(service=outlook).level == Level.OK


def test_reports_sent_during_a_pause_of_hours_are_all_binned(outlook):
    set_baseline(outlook, 3.0, NOON)
    run_at(NOON - timedelta(minutes=1))
    make_reports(outlook, 7, at=NOON + timedelta(minutes=1))
    make_reports(outlook, 2, at=NOON + timedelta(hours=2, minutes=31), prefix="later")
    run_at(NOON + timedelta(hours=3, minutes=1))  # past the replay's two hours
    buckets = dict(ServiceBucket.objects.values_list("start", "reports"))
    assert buckets == {NOON: 7, NOON + timedelta(hours=2, minutes=30): 2}


def test_a_baseline_of_another_bucket_width_is_ignored_until_the_rebuild(outlook, teams):
    set_baseline(outlook, 3.0, NOON)
    Baseline.objects.create(service=teams, expected=[3.0] * 100, noise=[0.2] * 5, updated_at=NOON)
    make_reports(teams, 4, at=NOON + timedelta(minutes=1), prefix="t")
    run_at(NOON + timedelta(minutes=2))
    statuses = dict(ServiceStatus.objects.values_list("service__slug", "expected"))
    assert (statuses["outlook"], statuses["microsoft-teams"]) == (3.0, 0.0)
