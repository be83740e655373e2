"""`make run`: the whole product in one terminal (database, worker with beat, web; demo traffic).

With no DATABASE_URL, manage.py (the entry point) has already started the embedded PostgreSQL
in var/; this command migrates, loads the catalogue, starts the Celery worker with embedded beat and the web
server (gunicorn with threads, as in the image), and on Ctrl-C stops all of them (and the
embedded database it started).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from config import embedded_db


class Command(BaseCommand):
    help = "Start web, Celery worker + beat (and optionally the demo simulator) until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default=os.environ.get("TREMOR_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--demo", action="store_true", help="also run the traffic simulator")
        parser.add_argument(
            "--outage-in",
            type=float,
            default=10.0,
            help="with --demo: minutes until the simulated outage begins (default: %(default)s)",
        )
        parser.add_argument(
            "--outage-group",
            default="microsoft-365",
            help="with --demo: the group that fails (default: %(default)s)",
        )

    def handle(self, *args, addr: str, demo: bool, **options) -> None:
        if options["outage_in"] < 0:
            raise CommandError("--outage-in must be >= 0")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_catalog")
        if demo:
            # Back-fill first; this also refuses an unknown --outage-group before anything starts.
            call_command("simulate", backfill_days=8, outage_group=options["outage_group"])
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "worker": [
                python, "-m", "celery", "-A", "config", "worker", "-B",
                "--loglevel", "INFO", "--concurrency", "2",
            ],
            # The production server, not the development one: threads, so an outage's rush of
            # reports and readers is served on the embedded default too; WhiteNoise (in the
            # middleware) serves the static files.
            "web": [
                python, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
                "--bind", addr, "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
                "--graceful-timeout", "10",
            ],
        }  # fmt: skip
        if demo:
            commands["simulate"] = [
                python, manage, "simulate", "--live", "--backfill-days", "0",
                "--outage-in", str(options["outage_in"]),
                "--outage-group", options["outage_group"],
            ]  # fmt: skip
        children = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, start_new_session=True)
            for name, cmd in commands.items()
        }
        self.stdout.write(f"Tremor is running on http://{addr}/ (Ctrl-C stops everything)")
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with code {child.returncode}; stopping")
                        stopping = True
                time.sleep(0.5)
        finally:
            # SIGTERM to each main process only: Celery then shuts its pool down warmly.
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
            if embedded_db.started_here:
                embedded_db.stop_embedded(settings.VAR_DIR / "pgdata")
                self.stdout.write("embedded PostgreSQL stopped")
