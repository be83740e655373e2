"""Is an incident's crowd a crowd? Reports that come mostly from one network, or from scripts,
are the shape of a flood, not of an outage; such an incident is held for a moderator.

"Reporters first seen moments ago" is judged on the form's own clock: the seconds between the
page showing the form and the report arriving. People read and choose; scripts that load the page
and post at once take under FAST_SECONDS. (Reporter keys rotate daily, and during a real outage
most reporters are new to the site, so the age of a key or a first visit would flag real crowds.)
"""

from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import connection

from analytics.models import Incident
from analytics.timeutils import bucket_width

# Reports per incident the shares are measured on, oldest first: enough that a share is exact
# to a fraction of a per cent, few enough to read in milliseconds through the (service,
# created_at) index.
SAMPLE = 20_000
# Browser families that people do not report with; "None" is an empty User-Agent.
NOT_BROWSERS = ["curl", "Python", "Bot", "None", "Other"]


def concentration_reasons(incidents: list[Incident], now: datetime) -> dict[int, str]:
    """Why each incident's reports look like a flood (absent when they look like people).

    Judged on the reports of the window that decided the incident (its `opened_buckets` up to
    `detected_at`) and no others: the crowd that made the decision, not the slow rise before,
    and not those who came after. Later reports neither dilute a flood that opened it (a crowd of
    real people joining a fake outage) nor turn a real outage into a held one (a flood sent
    once the incident is public). At most the first SAMPLE of them: at an outage's rate a window
    holds millions of reports, and reading them all every minute took the pass 19 s at 50 million
    rows (make bench-scale).

    Two queries for all the incidents together: the detection pass runs every minute, and a
    query or two per open incident would add up on a bad day.
    """
    if not incidents:
        return {}
    limits = cast(dict[str, float], settings.TREMOR["CONCENTRATION"])
    joined = (
        "FROM analytics_incident i CROSS JOIN LATERAL ("
        " SELECT r.ua_family, r.seconds_to_submit, r.network_key FROM reports_report r"
        " WHERE r.service_id = i.service_id AND r.is_counted AND NOT r.is_simulated"
        " AND r.created_at >= i.detected_at - i.opened_buckets * %(width)s"
        " AND r.created_at < LEAST(i.detected_at, %(now)s)"
        " ORDER BY r.created_at LIMIT %(sample)s) r "
        "WHERE i.id = ANY(%(ids)s)"
    )
    # Any: the stubs' SQL parameter types leave out timedelta (psycopg sends an interval).
    params: dict[str, Any] = {
        "sample": SAMPLE,
        "now": now,
        "width": bucket_width(),
        "ids": [i.pk for i in incidents],
        "browsers": NOT_BROWSERS,
        "fast": limits["fast_seconds"],
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, count(*), "
            "count(*) FILTER (WHERE r.ua_family = ANY(%(browsers)s)), "
            "count(r.seconds_to_submit), "
            "count(*) FILTER (WHERE r.seconds_to_submit < %(fast)s) "
            f"{joined} GROUP BY i.id",
            params,
        )
        totals = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT DISTINCT ON (i.id) i.id, count(*) {joined} AND r.network_key <> '' "
            "GROUP BY i.id, r.network_key ORDER BY i.id, count(*) DESC",
            params,
        )
        top_network = dict(cursor.fetchall())
    reasons = {}
    for incident_id, (total, scripted, timed, fast) in totals.items():
        reason = flood_reason(total, top_network.get(incident_id, 0), scripted, timed, fast, limits)
        if reason:
            reasons[incident_id] = reason
    return reasons


def flood_reason(
    total: int, top_network: int, scripted: int, timed: int, fast: int, limits: dict
) -> str:
    """The verdict from the counts: "" when the reports look like people."""
    if total < limits["min_reports"]:
        return ""
    if top_network / total >= limits["network_share"]:
        return f"{top_network / total:.0%} of its {total} reports come from one network"
    if scripted / total >= limits["scripted_share"]:
        return f"{scripted / total:.0%} of its {total} reports come from scripts or no browser"
    if timed >= limits["min_reports"] and fast / timed >= limits["fast_share"]:
        return (
            f"{fast / timed:.0%} of its {timed} form reports were sent within "
            f"{limits['fast_seconds']} s of the page showing the form"
        )
    return ""


# A network that sent at least this share of a held incident's reports is one of its senders:
# their comments wait for review while it is held.
SENDER_SHARE = 0.1


def dominant_networks(incident: Incident, now: datetime) -> list[str]:
    """The network keys behind at least SENDER_SHARE of an incident's reports (of the same
    sample of them the hold was judged on), largest first; at most ten."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH r AS (SELECT network_key FROM reports_report"
            " WHERE service_id = %(service)s AND is_counted AND NOT is_simulated"
            " AND created_at >= %(start)s AND created_at < %(now)s"
            " ORDER BY created_at LIMIT %(sample)s) "
            "SELECT network_key FROM r WHERE network_key <> '' GROUP BY network_key"
            " HAVING count(*) >= %(share)s * (SELECT count(*) FROM r)"
            " ORDER BY count(*) DESC LIMIT 10",
            {
                "service": incident.service_id,
                "start": incident.detected_at - incident.opened_buckets * bucket_width(),
                "now": now,
                "sample": SAMPLE,
                "share": SENDER_SHARE,
            },
        )
        return [row[0] for row in cursor.fetchall()]
