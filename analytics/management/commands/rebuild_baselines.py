from django.core.management.base import BaseCommand
from django.utils import timezone

from analytics import baselines


class Command(BaseCommand):
    help = "Recompute every active service's time-of-day baseline (what the hourly task does)."

    def handle(self, *args, **options) -> None:
        count = baselines.rebuild_baselines(timezone.now())
        self.stdout.write(f"baselines rebuilt for {count} services")
