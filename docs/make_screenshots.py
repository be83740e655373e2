"""`make screenshots`: the README's screenshots, taken with Debian's chromium during a simulated
Microsoft 365 outage.

It fills a database of its own (`tremor_screenshots`, on the embedded or configured PostgreSQL)
with eight days of simulated traffic, plays the demo outage minute by minute through the real
analytics pipeline until it is 35 minutes old, serves the site from this process, and saves the
home, service, group and incident pages at desktop and phone size under docs/screenshots/.
"""

import os
import shutil
import sys
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
DATABASE = "tremor_screenshots"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
SEED = 7


def fill(now):
    import numpy as np

    from analytics import baselines, pipeline
    from analytics.binning import refresh_buckets
    from analytics.scenarios import generate_reports
    from analytics.simulation import insert_simulated, outage_for_group, service_profiles

    rng = np.random.default_rng(SEED)
    profiles, problem_ids, service_ids = service_profiles(SEED)
    outage_start = now - timedelta(minutes=35)
    outage = outage_for_group("microsoft-365", outage_start)
    live_from = outage_start - timedelta(minutes=15)
    history = generate_reports(
        rng, profiles, now - timedelta(days=8), live_from, step=timedelta(minutes=5)
    )
    insert_simulated(history, problem_ids, service_ids)
    refresh_buckets(now - timedelta(days=8), live_from)
    baselines.rebuild_baselines(live_from)
    moment = live_from
    while moment < now:  # the per-minute job, as the beat schedule would run it
        following = min(moment + timedelta(minutes=1), now)
        reports = generate_reports(rng, profiles, moment, following, outage=outage)
        insert_simulated(reports, problem_ids, service_ids)
        pipeline.refresh_analytics(following)
        moment = following


def serve() -> str:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def shoot(site: str, pages: dict[str, str], chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme="light",
                timezone_id="America/New_York",
                locale="en-US",
            )
            page = context.new_page()
            for name, path in pages.items():
                page.goto(site + path, wait_until="networkidle")
                target = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"{target.relative_to(ROOT)}  ({site}{path})")
            context.close()
        browser.close()


def main() -> None:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        sys.exit("make screenshots needs Debian's chromium (apt-get install -y chromium)")
    from bench.benchdb import fresh_database

    fresh_database(DATABASE)
    os.environ["DATABASE_NAME"] = DATABASE
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    from config.embedded_db import start_embedded_database

    start_embedded_database()
    from django.utils import timezone

    from analytics.models import Incident

    now = timezone.now()
    fill(now)
    incident = Incident.objects.filter(service__slug="outlook").order_by("-started_at").first()
    pages = {
        "home": "/",
        "service": "/services/outlook/",
        "group": "/groups/microsoft-365/",
    }
    if incident is not None:
        pages["incident"] = f"/incidents/{incident.pk}/"
    shoot(serve(), pages, chromium)


if __name__ == "__main__":
    main()
