"""Is an incident's crowd a crowd? Reports that come mostly from one network, or from scripts,
are the shape of a flood, not of an outage; such an incident is held for a moderator.

"Reporters first seen moments ago" is judged on the form's own clock: the seconds between the
page showing the form and the report arriving. People read and choose; scripts that load the page
and post at once take under FAST_SECONDS. (Reporter keys rotate daily, and during a real outage
most reporters are new to the site, so the age of a key or a first visit would flag real crowds.)
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Count

from analytics.models import Incident
from reports.models import Report

# Browser families that people do not report with; "None" is an empty User-Agent.
NOT_BROWSERS = ["curl", "Python", "Bot", "None", "Other"]


def concentration_reason(incident: Incident, now: datetime) -> str:
    """Why the incident's reports look like a flood ("" when they look like people)."""
    limits = settings.TREMOR["CONCENTRATION"]
    reports = Report.objects.counted().filter(
        service_id=incident.service_id,
        created_at__gte=incident.started_at,
        created_at__lt=now,
        is_simulated=False,
    )
    total = reports.count()
    if total < limits["min_reports"]:
        return ""
    top = (
        reports.exclude(network_key="")
        .values("network_key")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if top and top["n"] / total >= limits["network_share"]:
        return f"{top['n'] / total:.0%} of its {total} reports come from one network"
    scripted = reports.filter(ua_family__in=NOT_BROWSERS).count()
    if scripted / total >= limits["scripted_share"]:
        return f"{scripted / total:.0%} of its {total} reports come from scripts or no browser"
    timed = reports.filter(seconds_to_submit__isnull=False)
    timed_total = timed.count()
    fast = timed.filter(seconds_to_submit__lt=limits["fast_seconds"]).count()
    if timed_total >= limits["min_reports"] and fast / timed_total >= limits["fast_share"]:
        return (
            f"{fast / timed_total:.0%} of its {timed_total} form reports were sent within "
            f"{limits['fast_seconds']} s of the page showing the form"
        )
    return ""
