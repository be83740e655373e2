"""What a moderator needs first on a bad morning, on the console's front page: the incidents
that are open or held (and why), the comments waiting for review, and the last 15 minutes'
bursts, each a link to its public page and to the console's own."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User

from analytics.models import Incident
from console.explorer import Burst, find_bursts
from reports.models import Comment

BURST_MINUTES = 15
PENDING_SHOWN = 10


@dataclass(frozen=True)
class Dashboard:
    incidents: list[Incident] | None  # None: the user may not see incidents
    pending: list[Comment] | None
    pending_total: int
    bursts: list[Burst] | None
    burst_minutes: int = BURST_MINUTES


def outage_dashboard(user: User | AnonymousUser, now: datetime) -> Dashboard:
    """The sections this user may see. Four queries at most: incidents, the pending count and
    the newest pending comments, and the bursts (three grouped counts)."""
    incidents = pending = bursts = None
    pending_total = 0
    if user.has_perm("analytics.view_incident"):
        held_first = Incident.objects.unresolved().select_related("service")
        incidents = sorted(
            held_first, key=lambda i: (i.review != "held", -i.detected_at.timestamp())
        )
    if user.has_perm("reports.view_comment"):
        waiting = Comment.objects.filter(status=Comment.Status.PENDING)
        pending_total = waiting.count()
        pending = list(waiting.select_related("service").order_by("-created_at")[:PENDING_SHOWN])
    if user.has_perm("reports.view_report"):
        bursts = find_bursts(now - timedelta(minutes=BURST_MINUTES), now)
    return Dashboard(incidents, pending, pending_total, bursts)
