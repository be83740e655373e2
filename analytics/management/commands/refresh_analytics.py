from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics import pipeline
from analytics.binning import refresh_buckets
from reports.retention import retention_cutoff


def parse_moment(value: str, option: str) -> datetime:
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"{option}: not an ISO 8601 date-time: {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


class Command(BaseCommand):
    help = (
        "Recount buckets from raw reports and run the detector (what the per-minute task does). "
        "With --since/--until, back-fill the buckets of that window only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="ISO date-time (UTC if no offset); back-fill start")
        parser.add_argument("--until", help="ISO date-time (UTC if no offset); default now")

    def handle(self, *args, since: str | None, until: str | None, **options) -> None:
        now = timezone.now()
        if since is None and until is None:
            refreshed, detected = pipeline.refresh_analytics(now)
            self.stdout.write(
                f"buckets {refreshed.since:%Y-%m-%d %H:%M}–{refreshed.until:%H:%M} UTC: "
                f"{refreshed.buckets} written; {detected.services} services checked, "
                f"{detected.opened} incidents opened, {detected.resolved} resolved"
            )
            return
        start = parse_moment(since, "--since") if since else None
        end = parse_moment(until, "--until") if until else now
        if start is None:
            raise CommandError("--until needs --since")
        if start >= end:
            raise CommandError("--since must be before --until")
        cutoff = retention_cutoff(now)
        if cutoff is not None and start < cutoff:
            raise CommandError(
                f"--since is before {cutoff:%Y-%m-%d %H:%M} UTC: raw reports older than "
                "REPORT_RETENTION_DAYS are deleted, so re-binning there would empty the history"
            )
        refreshed = refresh_buckets(start, end)
        self.stdout.write(
            f"buckets {refreshed.since:%Y-%m-%d %H:%M}–{refreshed.until:%Y-%m-%d %H:%M} UTC: "
            f"{refreshed.buckets} written"
        )
