"""Public pages: the home page and a service's page. They read buckets, statuses and incidents."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from analytics.detection import Level
from analytics.models import Incident
from analytics.series import (
    LEVEL_SLUGS,
    hourly_sparklines,
    problem_shares,
    service_series,
    status_for,
)
from analytics.timeutils import bucket_width
from reports.forms import ReportForm
from reports.geo import country_name
from reports.models import Comment, Service


@dataclass(frozen=True)
class ServiceRow:
    service: Service
    level: int
    level_slug: str
    level_label: str
    since: datetime | None
    sparkline: str  # SVG polyline points
    reports_24h: int


def sparkline_points(values: list[int], width: int = 96, height: int = 24) -> str:
    """An SVG polyline `points` attribute for values drawn left to right, scaled to the box."""
    top = max(max(values, default=0), 1)
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values)
    )


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    services = list(Service.objects.active().select_related("category", "group", "status"))
    lines = hourly_sparklines([s.pk for s in services], now)
    rows = []
    for service in services:
        status = status_for(service)
        level = status.level
        rows.append(
            ServiceRow(
                service=service,
                level=level,
                level_slug=LEVEL_SLUGS[level],
                level_label=Level(level).name,
                since=status.since if level else None,
                sparkline=sparkline_points(lines[service.pk]),
                reports_24h=sum(lines[service.pk]),
            )
        )
    rows.sort(key=lambda r: (-r.level, -r.reports_24h, r.service.name))
    return render(
        request,
        "analytics/home.html",
        {
            "rows": rows,
            "troubled": [r for r in rows if r.level > Level.OK],
            "now": now,
        },
    )


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(
        Service.objects.active().select_related("category", "group", "status"), slug=slug
    )
    now = timezone.now()
    start = now - timedelta(hours=24)
    status = status_for(service)
    points = service_series(service, start, now)
    chart = {
        "t": [int(p.start.timestamp()) for p in points],
        "reports": [p.reports for p in points],
        "expected": [round(p.expected, 2) for p in points],
        "bucket_minutes": int(bucket_width().total_seconds() // 60),
        "series_url": f"/api/v1/services/{service.slug}/series",
    }
    simulated = sum(p.simulated for p in points)
    recent = points[-3:]  # the filling bucket and the two before it: about the last 15 minutes
    open_incident = Incident.objects.unresolved().filter(service=service).first()
    countries, group_members = [], []
    if open_incident is not None:
        countries = [
            (country_name(c["country"]), round(100 * c["share"])) for c in open_incident.countries
        ]
        if open_incident.group_incident_id:
            group_members = list(
                Service.objects.filter(incidents__group_incident_id=open_incident.group_incident_id)
                .exclude(pk=service.pk)
                .distinct()
            )
    problem_types = list(service.category.problem_types.all())
    context = {
        "service": service,
        "status": status,
        "level_slug": LEVEL_SLUGS[status.level],
        "chart": chart,
        "reports_24h": sum(p.reports for p in points),
        "simulated_24h": simulated,
        "problems_hour": problem_shares(service, problem_types, now - timedelta(hours=1), now),
        "problems_day": problem_shares(service, problem_types, start, now),
        "problem_types": problem_types,
        "comments": Comment.objects.filter(service=service, is_visible=True)[:20],
        "incidents": Incident.objects.filter(
            service=service, started_at__gte=now - timedelta(days=30)
        )[:10],
        "open_incident": open_incident,
        "incident_countries": countries,
        "group_members": group_members,
        "related": Service.objects.active()
        .filter(group=service.group)
        .exclude(pk=service.pk)
        .select_related("status")
        if service.group_id
        else [],
        "form": ReportForm(service=service),
        "bucket_minutes": chart["bucket_minutes"],
        "recent_minutes": len(recent) * chart["bucket_minutes"],
        "recent_reports": sum(p.reports for p in recent),
        "recent_expected": sum(p.expected for p in recent),
        "now": now,
    }
    return render(request, "analytics/service.html", context)
