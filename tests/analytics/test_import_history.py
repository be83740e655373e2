from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.backtest import read_series
from analytics.models import Baseline, ServiceBucket
from analytics.timeutils import bucket_width, floor_bucket


def history_csv(path, days=14, freq="5min", end=None, value=4):
    end = end or timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    index = pd.date_range(end=end, periods=int(days * 1440 / int(freq[:-3])), freq=freq, tz="UTC")
    pd.DataFrame({"timestamp": index.map(lambda t: t.isoformat()), "value": value}).to_csv(
        path, index=False
    )
    return path


def test_imported_history_becomes_buckets_and_a_baseline(outlook, tmp_path):
    call_command("import_history", "outlook", str(history_csv(tmp_path / "h.csv")))
    assert ServiceBucket.objects.filter(service=outlook).count() == 14 * 288
    baseline = Baseline.objects.get(service=outlook)
    assert (
        # The profile is the imported 4 per bucket; the level factor also sees the two empty
        # hours since the history ended.
        np.median(baseline.expected) / baseline.level == pytest.approx(4.0, rel=0.02)
        and baseline.history_days >= 14
    )


def test_finer_rows_are_summed_into_buckets(outlook, tmp_path):
    call_command(
        "import_history", "outlook", str(history_csv(tmp_path / "h.csv", 1, "1min", value=1))
    )
    counts = sorted(ServiceBucket.objects.values_list("reports", flat=True))
    assert counts.count(5) >= len(counts) - 2  # only the two edge buckets are partial


def test_history_reaching_into_the_live_window_is_refused(outlook, tmp_path):
    path = history_csv(tmp_path / "h.csv", 1, end=timezone.now())
    with pytest.raises(CommandError, match="must end before"):
        call_command("import_history", "outlook", str(path))


def test_an_unknown_service_is_one_line(catalog, tmp_path):
    with pytest.raises(CommandError, match="no service"):
        call_command("import_history", "nope", str(history_csv(tmp_path / "h.csv", 1)))


def test_export_history_writes_every_bucket_in_the_backtest_format(outlook, tmp_path):
    now = timezone.now()
    bucket = floor_bucket(now, bucket_width()) - timedelta(minutes=30)
    ServiceBucket.objects.create(service=outlook, start=bucket, reports=7)
    out = tmp_path / "outlook.csv"
    call_command("export_history", "outlook", "--days", "1", "-o", str(out))
    series = read_series(out, "timestamp", "value")
    assert len(series) == 288 and series.sum() == 7
    assert series[pd.Timestamp(bucket)] == 7
    with pytest.raises(CommandError, match="no service"):
        call_command("export_history", "nope")
