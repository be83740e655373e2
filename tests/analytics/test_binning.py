import threading
from datetime import timedelta

from django.core.management import call_command
from django.db import connection

from analytics.binning import refresh_buckets
from analytics.models import CountryBucket, ProblemBucket, ServiceBucket
from tests.factories import NOON, make_report, make_reports


def bucket_rows():
    return {
        "service": sorted(ServiceBucket.objects.values_list("service_id", "start", "reports")),
        "problem": sorted(
            ProblemBucket.objects.values_list("service_id", "start", "problem_id", "reports")
        ),
        "country": sorted(
            CountryBucket.objects.values_list("service_id", "start", "country", "reports")
        ),
    }


def test_counted_reports_are_binned_per_service_problem_and_country(outlook):
    make_reports(outlook, 3, at=NOON + timedelta(minutes=1), problem="login", country="US")
    make_reports(
        outlook, 2, at=NOON + timedelta(minutes=4), problem="sending", country="CA", prefix="s"
    )
    make_reports(
        outlook, 4, at=NOON + timedelta(minutes=6), problem="login", country="", prefix="t"
    )
    refresh_buckets(NOON, NOON + timedelta(minutes=10))
    assert list(ServiceBucket.objects.order_by("start").values_list("start", "reports")) == [
        (NOON, 5),
        (NOON + timedelta(minutes=5), 4),
    ]
    noon_problems = dict(
        ProblemBucket.objects.filter(start=NOON).values_list("problem__slug", "reports")
    )
    assert noon_problems == {"login": 3, "sending": 2}
    late_countries = dict(
        CountryBucket.objects.filter(start=NOON + timedelta(minutes=5)).values_list(
            "country", "reports"
        )
    )
    assert late_countries == {"": 4}


def test_duplicates_are_not_counted_in_buckets(outlook):
    make_report(outlook, at=NOON, key="a" * 32)
    make_report(outlook, at=NOON + timedelta(minutes=2), key="a" * 32)  # duplicate
    refresh_buckets(NOON, NOON + timedelta(minutes=5))
    assert ServiceBucket.objects.get().reports == 1


def test_a_report_counts_again_after_the_dedupe_window(outlook):
    make_report(outlook, at=NOON, key="a" * 32)
    make_report(outlook, at=NOON + timedelta(minutes=16), key="a" * 32)
    refresh_buckets(NOON, NOON + timedelta(minutes=20))
    assert ServiceBucket.objects.count() == 2


def test_rerunning_gives_identical_rows(outlook):
    make_reports(outlook, 7, at=NOON + timedelta(minutes=2))
    refresh_buckets(NOON, NOON + timedelta(minutes=30))
    first = bucket_rows()
    refresh_buckets(NOON, NOON + timedelta(minutes=30))
    refresh_buckets(NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert bucket_rows() == first


def test_a_late_report_is_picked_up_by_the_next_run(outlook):
    make_reports(outlook, 2, at=NOON + timedelta(minutes=1))
    refresh_buckets(NOON, NOON + timedelta(minutes=5))
    make_report(outlook, at=NOON + timedelta(minutes=3), key="late" + "0" * 28)
    refresh_buckets(NOON, NOON + timedelta(minutes=5))
    assert ServiceBucket.objects.get().reports == 3


def test_a_bucket_whose_reports_stopped_counting_is_removed(outlook):
    make_reports(outlook, 2, at=NOON + timedelta(minutes=1))
    refresh_buckets(NOON, NOON + timedelta(minutes=5))
    outlook.reports.update(is_counted=False, not_counted_reason="duplicate")
    refresh_buckets(NOON, NOON + timedelta(minutes=5))
    assert not ServiceBucket.objects.exists() and not ProblemBucket.objects.exists()


def test_a_window_edge_inside_a_bucket_recounts_the_whole_bucket(outlook):
    make_reports(outlook, 3, at=NOON + timedelta(minutes=1))
    make_reports(outlook, 2, at=NOON + timedelta(minutes=4), prefix="s")
    refresh_buckets(NOON + timedelta(minutes=3), NOON + timedelta(minutes=4))
    assert ServiceBucket.objects.get().reports == 5


def test_two_runs_at_once_give_the_same_rows(transactional_db, outlook):
    make_reports(outlook, 20, at=NOON + timedelta(minutes=2))
    make_reports(outlook, 5, at=NOON + timedelta(minutes=7), prefix="s")
    errors = []

    def run():
        try:
            refresh_buckets(NOON, NOON + timedelta(minutes=10))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(ServiceBucket.objects.order_by("start").values_list("reports", flat=True)) == [
        20,
        5,
    ]


def test_the_backfill_command_takes_since_and_until(outlook, capsys, settings):
    settings.TREMOR = {**settings.TREMOR, "REPORT_RETENTION_DAYS": 0}  # NOON is long ago
    make_reports(outlook, 2, at=NOON + timedelta(minutes=1))
    call_command(
        "refresh_analytics", "--since", "2026-03-02T11:00:00", "--until", "2026-03-02T13:00:00Z"
    )
    assert ServiceBucket.objects.get().reports == 2
    assert "written" in capsys.readouterr().out


def test_the_backfill_command_rejects_a_bad_date_with_one_line(db):
    import pytest
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("refresh_analytics", "--since", "yesterday")
    with pytest.raises(CommandError, match="before"):
        call_command(
            "refresh_analytics", "--since", "2026-03-02T13:00", "--until", "2026-03-02T12:00"
        )
