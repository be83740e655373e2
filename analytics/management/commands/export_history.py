"""Write a service's counted reports per bucket as CSV, in the format `backtest` reads."""

import csv
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.models import ServiceBucket
from analytics.timeutils import bucket_width, floor_bucket
from reports.models import Service


class Command(BaseCommand):
    help = (
        "Export SERVICE's reports per bucket (every bucket, zeros included) as CSV with the "
        "columns timestamp,value: the input of `backtest` for tuning the detector per service."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("service", help="service slug")
        parser.add_argument("--days", type=int, default=28, help="how far back (default 28)")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")

    def handle(self, *args, service: str, days: int, output: Path | None, **opts) -> None:
        target = Service.objects.filter(slug=service).first()
        if target is None:
            raise CommandError(f"no service with slug {service!r}")
        if days < 1:
            raise CommandError("--days must be at least 1")
        width = bucket_width()
        end = floor_bucket(timezone.now(), width)  # the filling bucket is left out
        start = end - timedelta(days=days)
        counts = dict(
            ServiceBucket.objects.filter(service=target)
            .in_window(start, end)
            .values_list("start", "reports")
        )
        index = pd.date_range(start, end, freq=width, inclusive="left")
        stream = output.open("w", newline="") if output else sys.stdout
        try:
            writer = csv.writer(stream)
            writer.writerow(["timestamp", "value"])
            for moment in index:
                writer.writerow([moment.isoformat(), counts.get(moment.to_pydatetime(), 0)])
        finally:
            if output:
                stream.close()
        if output:
            self.stderr.write(f"{len(index)} buckets of {target.name} written to {output}")
