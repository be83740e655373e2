"""Delete raw reports older than the retention period (REPORT_RETENTION_DAYS, default 90)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.models import Report
from reports.retention import prune_reports, retention_cutoff


class Command(BaseCommand):
    help = (
        "Delete raw reports (and their comments) older than the retention period. Buckets, "
        "baselines and incidents stay. A daily task runs the same."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, help="override REPORT_RETENTION_DAYS for this run")
        parser.add_argument("--dry-run", action="store_true", help="count, do not delete")

    def handle(self, *args, days: int | None, dry_run: bool, **options) -> None:
        now = timezone.now()
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = retention_cutoff(now, days)
        if cutoff is None:
            self.stdout.write("retention is off (REPORT_RETENTION_DAYS=0): nothing deleted")
            return
        if dry_run:
            count = Report.objects.filter(created_at__lt=cutoff).count()
            self.stdout.write(f"{count} reports created before {cutoff:%Y-%m-%d %H:%M} UTC")
            return
        count = prune_reports(cutoff)
        self.stdout.write(f"{count} reports created before {cutoff:%Y-%m-%d %H:%M} UTC deleted")
