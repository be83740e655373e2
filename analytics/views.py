"""Public pages: home, service, group, incident, about and privacy.

They read buckets, baselines, statuses and incidents only (never raw reports).
"""

import dataclasses
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control

from analytics.detector import Level
from analytics.models import (
    GroupIncident,
    Incident,
    MaintenanceWindow,
    OfficialUpdate,
)
from analytics.page_cache import analytics_stamp, cached_response
from analytics.series import (
    SeriesPoint,
    group_series,
    hourly_sparklines,
    problem_shares,
    recent_and_daily_countries,
    recent_counts,
    service_series,
    status_for,
)
from analytics.timeutils import bucket_width
from analytics.worldmap import VIEW_BOX, report_map, top_countries
from reports import pow
from reports.geo import country_name, country_names
from reports.models import Category, Comment, Quarantine, Service, ServiceGroup
from reports.views import form_state


@dataclass(frozen=True)
class ServiceRow:
    service: Service
    level: int
    since: datetime | None
    sparkline: str  # SVG polyline points
    reports_24h: int
    # Troubled services on the home page: reports in about the last 15 minutes and the usual.
    recent: tuple[int, float] | None = None

    @property
    def monogram(self) -> str:
        """The tile's letters: the initials of the first two words ("Microsoft Teams" → MT)."""
        words = [w for w in self.service.name.replace("-", " ").split() if w[:1].isalnum()]
        return "".join(w[0] for w in words[:2]).upper() or self.service.name[:1].upper()

    @property
    def tile(self) -> int:
        """One of eight tile colours, the same for a service on every page and every run."""
        return zlib.crc32(self.service.slug.encode()) % 8


def sparkline_points(values: list[int], width: int = 96, height: int = 24) -> str:
    """An SVG polyline `points` attribute for values drawn left to right, scaled to the box."""
    top = max(max(values, default=0), 1)
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values)
    )


def chart_payload(
    points: list[SeriesPoint],
    incidents=(),
    series_url: str | None = None,
    hours: int = 24,
    filling: bool = True,
) -> dict:
    """What static/js/service-chart.js (and, without scripts, the chart_svg tag) draws: times,
    reports, baseline and incident bands; `filling` when the last interval is the current one,
    drawn as "so far"."""
    return {
        "t": [int(p.start.timestamp()) for p in points],
        "reports": [p.reports for p in points],
        "expected": [round(p.expected, 2) for p in points],
        "bands": [
            [
                int(i.started_at.timestamp()),
                int(i.ended_at.timestamp()) if i.ended_at else None,
            ]
            for i in incidents
        ],
        "bucket_minutes": int(bucket_width().total_seconds() // 60),
        "series_url": series_url,
        "hours": hours,
        "filling": filling,
    }


def reported(shares: list) -> list:
    """The problem types someone reported: a 0 % row says nothing."""
    return [share for share in shares if share.reports]


def service_rows(services: list[Service], now: datetime) -> list[ServiceRow]:
    """Cards for services (status and sparkline), troubled first, then by reports in 24 h."""
    lines = hourly_sparklines([s.pk for s in services], now)
    rows = []
    for service in services:
        status = status_for(service)
        level = status.level
        rows.append(
            ServiceRow(
                service=service,
                level=level,
                since=status.since if level else None,
                sparkline=sparkline_points(lines[service.pk]),
                reports_24h=sum(lines[service.pk]),
            )
        )
    rows.sort(key=lambda r: (-r.level, -r.reports_24h, r.service.name))
    return rows


@dataclass(frozen=True)
class GroupTrouble:
    group: ServiceGroup
    affected: int
    total: int


def group_troubles(rows: list[ServiceRow]) -> list[GroupTrouble]:
    """Groups with two or more services in trouble, most affected first: one vendor failing."""
    by_group: dict[ServiceGroup, list[ServiceRow]] = {}
    for row in rows:
        if row.service.group is not None:
            by_group.setdefault(row.service.group, []).append(row)
    troubles = [
        GroupTrouble(group, sum(1 for r in members if r.level), len(members))
        for group, members in by_group.items()
    ]
    return sorted(
        (t for t in troubles if t.affected >= 2), key=lambda t: (-t.affected, t.group.name)
    )


def home(request: HttpRequest) -> HttpResponse:
    """What is wrong now first: group strips, then the troubled services with their counts."""
    now = timezone.now()
    services = list(Service.objects.active().select_related("category", "group", "status"))
    rows = service_rows(services, now)
    troubled = [r for r in rows if r.level > Level.OK]
    recent = recent_counts([r.service.pk for r in troubled], now)  # no query on a quiet day
    troubled = [dataclasses.replace(r, recent=recent.get(r.service.pk)) for r in troubled]
    return render(
        request,
        "analytics/home.html",
        {
            "rows": sorted(rows, key=lambda r: r.service.name.lower()),
            "troubled": troubled,
            "group_troubles": group_troubles(rows),
            "most_reported": sorted(
                (r for r in rows if r.reports_24h), key=lambda r: -r.reports_24h
            )[:8],
            "categories": sorted({s.category for s in services}, key=lambda c: c.name),
            "groups": sorted({s.group for s in services if s.group}, key=lambda g: g.name),
            "now": now,
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    """Services by name or alias; one match goes straight to its page."""
    text = request.GET.get("q", "").strip()[:100]
    if not text:
        return redirect("home")
    groups = list(
        ServiceGroup.objects.filter(name__icontains=text).annotate(
            size=Count("services", filter=Q(services__is_active=True))
        )[:5]
    )
    if groups and groups[0].name.lower() == text.lower():
        return redirect("group-detail", slug=groups[0].slug)
    matches = list(
        Service.objects.active().search(text).select_related("category", "group", "status")[:50]
    )
    if (len(matches) == 1 and not groups) or (matches and matches[0].name.lower() == text.lower()):
        return redirect("service-detail", slug=matches[0].slug)
    rows = service_rows(matches, timezone.now()) if matches else []
    return render(request, "analytics/search.html", {"query": text, "rows": rows, "groups": groups})


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    services = list(
        Service.objects.active()
        .filter(category=category)
        .select_related("category", "group", "status")
    )
    rows = service_rows(services, timezone.now())
    return render(request, "analytics/category.html", {"category": category, "rows": rows})


COMMENTS_PER_PAGE = 20
# Pages of comments a link may ask for: each one is a cache entry, so the number is bounded.
MAX_COMMENT_PAGES = 50


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        comments_page = min(max(int(request.GET.get("comments", 1)), 1), MAX_COMMENT_PAGES)
    except ValueError:
        comments_page = 1
    # A messages cookie that does not decode (forged, to skip the cache) is ignored.
    if CookieStorage.cookie_name in request.COOKIES and len(messages.get_messages(request)):
        # Just after a report: the confirmation is on the page, so it is rendered for this
        # visitor alone (with the form's token in it), and kept by nobody.
        context = _service_context(slug, comments_page) | form_state(request)
        response = render(request, "analytics/service.html", context)
        patch_cache_control(response, private=True, no_store=True)
        return response
    # Everyone else gets the same bytes until the next analytics run: nothing on the page is
    # about the visitor. The form's token, stamp and challenge come from report-form.js.
    return cached_response(
        request,
        f"tremor:service-page:{slug}:{analytics_stamp()}:{comments_page}:{pow.enabled()}",
        lambda: render_to_string(
            "analytics/service.html", _service_context(slug, comments_page)
        ).encode(),
        "text/html; charset=utf-8",
    )


def _service_context(slug: str, comments_page: int) -> dict:
    """Everything the service page shows; none of it depends on who asks."""
    service = get_object_or_404(
        Service.objects.active().select_related("category", "group", "status"), slug=slug
    )
    now = timezone.now()
    start = now - timedelta(hours=24)
    status = status_for(service)
    points = service_series(service, start, now)
    incidents = list(
        Incident.objects.filter(service=service, started_at__gte=now - timedelta(days=30))[:10]
    )
    chart = chart_payload(
        points,
        [
            i
            for i in incidents
            if (i.ended_at is None or i.ended_at > start) and i.review != Incident.Review.WITHDRAWN
        ],
        f"/api/v1/services/{service.slug}/series",
    )
    simulated = sum(p.simulated for p in points)
    recent = points[-3:]  # the filling bucket and the two before it: about the last 15 minutes
    open_incident = Incident.objects.unresolved().shown().filter(service=service).first()
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
    # The map follows the outage: the last hour, as the banner's countries do; the last 24 hours
    # when the last hour has no report with a known country.
    last_hour, last_day = recent_and_daily_countries(service, now - timedelta(hours=1), start, now)
    by_country, map_window = (last_hour, "last hour") if last_hour else (last_day, "last 24 hours")
    removed, removed_from, removed_until = Quarantine.objects.removed_as_abuse(
        service.pk, start, now
    )
    updates = list(
        OfficialUpdate.objects.filter(service=service, posted_at__gte=now - timedelta(days=7))[:5]
    )
    maintenance = (
        MaintenanceWindow.objects.filter(service=service, end__gt=now)
        .filter(start__lt=now + timedelta(days=1))
        .order_by("start")
        .first()
    )
    names = country_names()
    context = {
        "service": service,
        "status": status,
        "chart": chart,
        "reports_24h": sum(p.reports for p in points),
        "simulated_24h": simulated,
        "problems_hour": reported(
            problem_shares(service, problem_types, now - timedelta(hours=1), now)
        ),
        "problems_day": reported(problem_shares(service, problem_types, start, now)),
        "problem_types": problem_types,
        "comments": Paginator(
            Comment.objects.filter(service=service, status=Comment.Status.VISIBLE).order_by(
                "-created_at"
            ),
            COMMENTS_PER_PAGE,
        ).get_page(comments_page),
        "incidents": incidents,
        "open_incident": open_incident,
        "incident_countries": countries,
        "removed_as_abuse": removed,
        "removed_from": removed_from,
        "removed_until": removed_until,
        "official_updates": updates,
        "maintenance": maintenance,
        "world_map": report_map(by_country, names) if by_country else [],
        "map_window": map_window,
        "map_view_box": VIEW_BOX,
        "top_countries": top_countries(by_country, names),
        "group_members": group_members,
        "related": Service.objects.active()
        .filter(group=service.group)
        .exclude(pk=service.pk)
        .select_related("status")
        if service.group_id
        else [],
        "bucket_minutes": chart["bucket_minutes"],
        "recent_minutes": len(recent) * chart["bucket_minutes"],
        "recent_reports": sum(p.reports for p in recent),
        "recent_expected": sum(p.expected for p in recent),
        "now": now,
        "pow_enabled": pow.enabled(),
    }
    return context


def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(ServiceGroup, slug=slug)
    now = timezone.now()
    start = now - timedelta(hours=24)
    services = list(
        Service.objects.active().filter(group=group).select_related("category", "group", "status")
    )
    rows = service_rows(services, now)
    points = group_series([s.pk for s in services], start, now)
    incidents = list(
        GroupIncident.objects.filter(group=group, started_at__gte=now - timedelta(days=30))
        .prefetch_related("incidents__service")
        .order_by("-started_at")[:20]
    )
    context = {
        "group": group,
        "rows": rows,
        "troubled": sum(1 for r in rows if r.level > Level.OK),
        "chart": chart_payload(
            points, [i for i in incidents if i.ended_at is None or i.ended_at > start]
        ),
        "reports_24h": sum(p.reports for p in points),
        "incidents": incidents,
        "now": now,
    }
    return render(request, "analytics/group.html", context)


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.select_related("service", "service__group", "group_incident"), pk=pk
    )
    now = timezone.now()
    # The chart: two hours either side of the incident (up to now while it is unresolved).
    start = incident.started_at - timedelta(hours=2)
    end = min(now, (incident.ended_at or now) + timedelta(hours=2))
    points = service_series(incident.service, start, end)
    related = []
    if incident.group_incident_id:
        related = list(
            Incident.objects.filter(group_incident_id=incident.group_incident_id)
            .exclude(pk=incident.pk)
            .select_related("service")
            .order_by("started_at")
        )
    countries = [(country_name(c["country"]), round(100 * c["share"])) for c in incident.countries]
    window_end = incident.ended_at or now
    updates = list(
        OfficialUpdate.objects.filter(service=incident.service).filter(
            Q(incident=incident)
            | Q(posted_at__gte=incident.started_at, posted_at__lt=window_end + timedelta(hours=2))
        )
    )
    maintenance = MaintenanceWindow.objects.filter(
        service=incident.service, start__lte=incident.detected_at, end__gt=incident.detected_at
    ).first()
    context = {
        "incident": incident,
        "official_updates": updates,
        "maintenance": maintenance,
        "service": incident.service,
        "chart": chart_payload(
            points,
            [] if incident.review == Incident.Review.WITHDRAWN else [incident],
            filling=end == now,
        ),
        "reports_total": sum(p.reports for p in points if p.start >= incident.started_at),
        "related": related,
        "countries": countries,
        "now": now,
    }
    return render(request, "analytics/incident.html", context)


def privacy(request: HttpRequest) -> HttpResponse:
    retention = settings.TREMOR["REPORT_RETENTION_DAYS"]
    context = {"retention_days": retention, "dedupe_minutes": settings.TREMOR["DEDUPE_MINUTES"]}
    return render(request, "privacy.html", context)
