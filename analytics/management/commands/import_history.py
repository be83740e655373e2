"""Load a service's recorded history of counts (CSV) into its buckets, then refit its baseline."""

from datetime import timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from analytics import baselines
from analytics.backtest import BacktestError, infer_width, read_series
from analytics.models import ImportedHistory, ServiceBucket
from analytics.timeutils import bucket_width
from reports.models import Service


class Command(BaseCommand):
    help = (
        "Import a CSV of counts per bucket as SERVICE's history (the backtest format). Rows at a "
        "finer width are summed into buckets; existing buckets in the range are replaced."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("service", help="service slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--timestamp-column", default="timestamp")
        parser.add_argument("--value-column", default="value")

    def handle(self, *args, service: str, file: Path, **opts) -> None:
        target = Service.objects.filter(slug=service).first()
        if target is None:
            raise CommandError(f"no service with slug {service!r}")
        try:
            series = read_series(file, opts["timestamp_column"], opts["value_column"])
            width = infer_width(series.index)
        except BacktestError as exc:
            raise CommandError(str(exc)) from exc
        bucket = bucket_width()
        if bucket % width:
            raise CommandError(f"{file}: rows every {width} cannot be summed into {bucket} buckets")
        if series.index[0].tzinfo is None:
            raise CommandError(f"{file}: timestamps must be UTC")
        # Recent buckets belong to the live job, which recounts them from raw reports.
        lookback = cast(int, settings.TREMOR["REFRESH_LOOKBACK_MINUTES"])
        live_from = timezone.now() - timedelta(minutes=lookback)
        if series.index[-1] >= live_from - bucket:
            raise CommandError(
                f"{file}: history must end before {live_from:%Y-%m-%d %H:%M} UTC "
                "(later buckets are counted from live reports)"
            )
        counts = series.resample(bucket, origin="epoch").sum()
        with transaction.atomic():
            ServiceBucket.objects.filter(
                service=target, start__gte=counts.index[0], start__lte=counts.index[-1]
            ).delete()
            ServiceBucket.objects.bulk_create(
                [
                    ServiceBucket(service=target, start=start.to_pydatetime(), reports=int(value))
                    for start, value in counts.items()
                    if value > 0
                ],
                batch_size=5000,
            )
            # No raw reports stand behind these buckets: recounts leave them alone.
            ImportedHistory.objects.create(
                service=target,
                start=counts.index[0].to_pydatetime(),
                end=(counts.index[-1] + bucket).to_pydatetime(),
                source=str(file)[:300],
            )
        baselines.rebuild_baselines(timezone.now(), services=[target.pk])
        self.stdout.write(
            f"{target.name}: {len(counts)} buckets imported "
            f"({counts.index[0]:%Y-%m-%d %H:%M} – {counts.index[-1]:%Y-%m-%d %H:%M} UTC, "
            f"{int(counts.sum())} reports); baseline refitted"
        )
