"""Run the shipped detector over recorded count series (CSV) and print what it would have done."""

import json
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.backtest import BacktestError, BacktestResult, read_series, run_backtest
from analytics.detector import DEFAULTS, DetectorSettings, Level, tuned
from analytics.models import DetectorTuning
from reports.models import Service


def bucket_ranges(
    buckets: list[datetime], width: timedelta
) -> list[tuple[datetime, datetime, int]]:
    """Consecutive buckets folded into (first start, end, count)."""
    ranges: list[tuple[datetime, datetime, int]] = []
    for start in buckets:
        if ranges and ranges[-1][1] == start:
            first, _, count = ranges[-1]
            ranges[-1] = (first, start + width, count + 1)
        else:
            ranges.append((start, start + width, 1))
    return ranges


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "(still open)"


class Command(BaseCommand):
    help = (
        "Backtest the detector on CSV series of counts at a fixed bucket width, causally, with the "
        "shipped defaults or a service's stored tuning (--tuning-of), some changed with --set. "
        "Prints incidents and the buckets at each level (or JSON with --json)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--timestamp-column", default="timestamp")
        parser.add_argument("--value-column", default="value")
        parser.add_argument("--json", action="store_true", help="one JSON object keyed by path")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="change one detector setting, e.g. --set open_min_reports=30 (repeatable; "
            "on top of --tuning-of)",
        )
        parser.add_argument(
            "--tuning-of",
            metavar="SLUG",
            help="start from the service's detector tuning in the database, not the defaults",
        )

    def handle(self, *args, files: list[Path], **opts) -> None:
        overrides = {}
        for item in opts["set"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--set {item}: expected NAME=VALUE")
            overrides[name.strip()] = value.strip()
        base = self._tuning_of(opts["tuning_of"]) if opts["tuning_of"] else DEFAULTS
        try:
            settings = tuned(overrides, base)
        except ValueError as exc:
            raise CommandError(f"--set: {exc}") from exc
        results: dict[str, BacktestResult] = {}
        for path in files:
            try:
                series = read_series(path, opts["timestamp_column"], opts["value_column"])
                results[str(path)] = run_backtest(series, settings)
            except BacktestError as exc:
                raise CommandError(str(exc)) from exc
        if opts["json"]:
            self.stdout.write(json.dumps({p: r.to_json() for p, r in results.items()}, indent=1))
            return
        for name, result in results.items():
            self._print(name, result)

    def _tuning_of(self, slug: str) -> DetectorSettings:
        """The settings the live pipeline uses for the service; notes on stderr what they are."""
        service = Service.objects.filter(slug=slug).first()
        if service is None:
            raise CommandError(f"--tuning-of: no service with slug {slug!r}")
        tuning = DetectorTuning.objects.filter(service=service).first()
        if tuning is None:
            self.stderr.write(f"{service.name} has no detector tuning: using the shipped defaults")
            return DEFAULTS
        try:
            settings = tuning.settings()
        except ValueError as exc:
            raise CommandError(
                f"--tuning-of {slug}: the stored tuning no longer validates: {exc}"
            ) from exc
        self.stderr.write(f"{service.name}'s detector tuning: {json.dumps(tuning.overrides)}")
        return settings

    def _print(self, path: str, result: BacktestResult) -> None:
        assert result.index is not None, "run_backtest fills in every bucket"
        minutes = result.width.total_seconds() / 60
        self.stdout.write(
            f"{path}: {len(result.index)} buckets of {minutes:g} min, "
            f"{_time(result.start)} – {_time(result.end)} UTC; {len(result.incidents)} incidents"
        )
        for i in result.incidents:
            self.stdout.write(
                f"  incident {_time(i.start)} → peak {_time(i.peak)} → end {_time(i.end)}  "
                f"[{i.level}] opened on {i.observed} vs {i.expected:.1f} expected "
                f"(p={i.probability:.2g}); peak {i.peak_observed} vs {i.peak_expected:.1f} "
                f"(p={i.peak_probability:.2g})"
            )
        for level, name in ((Level.PROBLEMS, "problems"), (Level.POSSIBLE, "possible problems")):
            ranges = bucket_ranges(result.buckets_at(level), result.width)
            self.stdout.write(f"  buckets at {name}: {sum(r[2] for r in ranges)}")
            for first, end, count in ranges:
                self.stdout.write(f"    {_time(first)} – {_time(end)} ({count})")
