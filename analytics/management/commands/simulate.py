"""Replay realistic traffic: history for baselines, then live reports with a cloud-suite outage."""

import time
from datetime import timedelta

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import baselines
from analytics.binning import refresh_buckets
from analytics.scenarios import generate_reports
from analytics.simulation import (
    insert_simulated,
    last_simulated_at,
    outage_for_group,
    service_profiles,
)


class Command(BaseCommand):
    help = (
        "Simulate report traffic (marked as simulated): back-fill --backfill-days of history, then "
        "with --live keep sending reports in real time, with an outage of --outage-group starting "
        "--outage-in minutes after launch."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--backfill-days",
            type=float,
            default=8.0,
            help="days of history to simulate first, for the baselines (default: %(default)s)",
        )
        parser.add_argument(
            "--live", action="store_true", help="then keep sending reports until stopped"
        )
        parser.add_argument(
            "--duration", type=float, help="with --live: stop after this many minutes"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=15.0,
            help="with --live: seconds between sends (default: %(default)s)",
        )
        parser.add_argument(
            "--outage-group",
            default="microsoft-365",
            help="slug of the group whose services fail together (default: %(default)s)",
        )
        parser.add_argument(
            "--outage-in",
            type=float,
            default=10.0,
            help="minutes after the live sending starts that the outage begins "
            "(default: %(default)s)",
        )
        parser.add_argument("--no-outage", action="store_true", help="simulate no outage")
        parser.add_argument(
            "--seed",
            type=int,
            default=7,
            help="seed of the services' traffic profiles (default: %(default)s)",
        )

    def handle(self, *args, **opts) -> None:
        if opts["backfill_days"] < 0 or opts["interval"] <= 0:
            raise CommandError("--backfill-days must be >= 0 and --interval > 0")
        rng = np.random.default_rng(opts["seed"] + int(time.time()))
        profiles, problem_ids, service_ids = service_profiles(opts["seed"])
        if not profiles:
            raise CommandError("no active services with problem types: run load_catalog first")
        now = timezone.now()
        outage = None
        if not opts["no_outage"]:
            try:
                outage = outage_for_group(
                    opts["outage_group"], now + timedelta(minutes=opts["outage_in"])
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc

        # History: only the part of the window not already simulated, so re-runs add nothing twice.
        since = now - timedelta(days=opts["backfill_days"])
        last = last_simulated_at()
        if last and last > since:
            since = last
        if opts["backfill_days"] and since < now:
            reports = generate_reports(rng, profiles, since, now, step=timedelta(minutes=5))
            count = insert_simulated(reports, problem_ids, service_ids)
            refresh_buckets(since, now)
            services = baselines.rebuild_baselines(now)
            self.stdout.write(
                f"back-filled {count} simulated reports since {since:%Y-%m-%d %H:%M} UTC; "
                f"baselines rebuilt for {services} services"
            )
        if not opts["live"]:
            return
        if outage:
            self.stdout.write(
                f"live: outage of {opts['outage_group']} at {outage.start:%H:%M} UTC; Ctrl-C stops"
            )
        stop_at = now + timedelta(minutes=opts["duration"]) if opts["duration"] else None
        last_sent = now
        try:
            while stop_at is None or last_sent < stop_at:
                time.sleep(opts["interval"])
                moment = timezone.now()
                reports = generate_reports(rng, profiles, last_sent, moment, outage=outage)
                insert_simulated(reports, problem_ids, service_ids)
                self.stdout.write(f"{moment:%H:%M:%S} sent {len(reports)} simulated reports")
                last_sent = moment
        except KeyboardInterrupt:
            self.stdout.write("simulation stopped")
