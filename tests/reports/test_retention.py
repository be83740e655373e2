from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.binning import refresh_buckets
from analytics.models import ServiceBucket
from reports.models import Comment, Report
from tests.factories import make_report, make_reports


def test_old_reports_and_their_comments_go_and_their_counts_stay(outlook, settings):
    now = timezone.now()
    old = now - timedelta(days=91)
    make_reports(outlook, 3, at=old, prefix="old")
    make_report(outlook, at=old, key="c" * 32, comment="an old comment")
    make_reports(outlook, 2, at=now - timedelta(days=89), prefix="new")
    refresh_buckets(old - timedelta(hours=1), now)
    buckets = list(ServiceBucket.objects.order_by("start").values_list("start", "reports"))
    call_command("prune_reports")
    assert Report.objects.count() == 2
    assert not Comment.objects.exists()
    assert list(ServiceBucket.objects.order_by("start").values_list("start", "reports")) == buckets


def test_prune_can_be_dry_run_or_given_days_and_retention_can_be_off(outlook, settings, capsys):
    make_reports(outlook, 2, at=timezone.now() - timedelta(days=10))
    call_command("prune_reports", "--days", "5", "--dry-run")
    assert "2 reports created before" in capsys.readouterr().out and Report.objects.count() == 2
    settings.TREMOR = {**settings.TREMOR, "REPORT_RETENTION_DAYS": 0}
    call_command("prune_reports")
    assert Report.objects.count() == 2
    call_command("prune_reports", "--days", "5")
    assert Report.objects.count() == 0
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_reports", "--days", "0")


def test_re_binning_a_pruned_window_is_refused(outlook):
    since = (timezone.now() - timedelta(days=120)).isoformat()
    with pytest.raises(CommandError, match="REPORT_RETENTION_DAYS"):
        call_command("refresh_analytics", "--since", since)


def test_the_daily_task_prunes_with_the_configured_retention(outlook, settings):
    from reports.tasks import prune_reports

    make_reports(outlook, 2, at=timezone.now() - timedelta(days=40))
    settings.TREMOR = {**settings.TREMOR, "REPORT_RETENTION_DAYS": 30}
    assert prune_reports() == 2
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["reports.tasks.prune_reports"] == 86400.0
