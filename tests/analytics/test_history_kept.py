"""A recount never erases history that no raw report stands behind: buckets from before the
retention prune, and buckets written by import_history, survive every recount; a merge counts
distinct reporters as a recount does."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from django.core.management import call_command
from django.utils import timezone

from analytics import reassess
from analytics.binning import refresh_buckets
from analytics.models import ImportedHistory, ServiceBucket
from console.merge import merge_services
from reports.models import PruneMark, Quarantine, Report, Service
from reports.retention import prune_reports
from tests.factories import make_report, make_reports


def counts(service) -> dict[datetime, int]:
    return dict(ServiceBucket.objects.filter(service=service).values_list("start", "reports"))


def test_buckets_before_the_prune_survive_any_recount(outlook):
    day = (timezone.now() - timedelta(days=100)).replace(hour=9, minute=0, second=0, microsecond=0)
    make_reports(outlook, 7, at=day)
    make_reports(outlook, 3, at=day + timedelta(hours=3), prefix="later")
    refresh_buckets(day - timedelta(hours=1), day + timedelta(hours=4))
    before = counts(outlook)
    assert sorted(before.values()) == [3, 7]
    midnight = datetime.combine(day.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert prune_reports(midnight) == 10 and not Report.objects.exists()
    assert PruneMark.pruned_before() == midnight
    # The recounts that once emptied it: a back-fill, and a quarantine over the pruned day.
    refresh_buckets(day - timedelta(days=1), timezone.now())
    quarantine = Quarantine.objects.create(
        service=outlook, start=day - timedelta(hours=1), end=day + timedelta(hours=4), reason="x"
    )
    reassess.recount_after_quarantine(quarantine, releasing=False)
    assert counts(outlook) == before


def test_a_prune_mark_only_moves_forward(db):
    first = datetime(2026, 3, 1, tzinfo=UTC)
    PruneMark.advance(first)
    PruneMark.advance(first - timedelta(days=5))
    assert PruneMark.pruned_before() == first


def test_imported_history_survives_a_recount_over_it(outlook, tmp_path):
    end = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    index = pd.date_range(end=end, periods=288, freq="5min", tz="UTC")
    csv = tmp_path / "history.csv"
    frame = {"timestamp": index.map(lambda t: t.isoformat()), "value": 6}
    pd.DataFrame(frame).to_csv(csv, index=False)
    call_command("import_history", "outlook", str(csv), verbosity=0)
    span = ImportedHistory.objects.get(service=outlook)
    assert (span.start, span.end) == (index[0], index[-1] + timedelta(minutes=5))
    # A live report of another service in the same day, then a recount of the whole span.
    make_report(Service.objects.get(slug="gmail"), at=index[10] + timedelta(minutes=1))
    call_command(
        "refresh_analytics", "--since", (index[0] - timedelta(hours=1)).isoformat(), verbosity=0
    )
    imported = counts(outlook)
    assert len(imported) == 288 and set(imported.values()) == {6}
    gmail = Service.objects.get(slug="gmail")
    assert list(counts(gmail).values()) == [1]  # the live counts around it are recounted


def test_a_merge_counts_one_person_once_like_a_recount(outlook):
    duplicate = Service.objects.create(
        name="Outlook.com", slug="outlook-com", category=outlook.category
    )
    now = timezone.now().replace(second=0, microsecond=0)
    at = now - timedelta(minutes=30)
    # Three people reported both the service and its duplicate in the same interval.
    for i in range(3):
        make_report(outlook, at=at, key=f"both-{i}".ljust(32, "0"))
        make_report(duplicate, at=at + timedelta(seconds=20), key=f"both-{i}".ljust(32, "0"))
    make_report(duplicate, at=at, key="only-duplicate".ljust(32, "0"))
    refresh_buckets(now - timedelta(hours=1), now)
    merge_services(duplicate, outlook)
    merged = counts(outlook)
    refresh_buckets(now - timedelta(hours=1), now)  # what a recount says
    assert merged == counts(outlook) and list(merged.values()) == [4]  # not 3 + 4 = 7


def test_a_merge_adds_up_the_imported_history_of_both(outlook, tmp_path):
    duplicate = Service.objects.create(
        name="Outlook.com", slug="outlook-com", category=outlook.category
    )
    end = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    index = pd.date_range(end=end, periods=12, freq="5min", tz="UTC")
    for service, value in ((outlook, 5), (duplicate, 2)):
        csv = tmp_path / f"{service.slug}.csv"
        frame = {"timestamp": index.map(lambda t: t.isoformat()), "value": value}
        pd.DataFrame(frame).to_csv(csv, index=False)
        call_command("import_history", service.slug, str(csv), verbosity=0)
    make_report(outlook, at=timezone.now() - timedelta(minutes=20))
    merge_services(duplicate, outlook)
    history = {k: v for k, v in counts(outlook).items() if k <= end}
    assert len(history) == 12 and set(history.values()) == {7}
    assert ImportedHistory.objects.filter(service=outlook).count() == 2
    refresh_buckets(index[0] - timedelta(hours=1), timezone.now())
    assert {k: v for k, v in counts(outlook).items() if k <= end} == history
