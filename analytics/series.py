"""Read side: dense series, shares and statuses for pages and the API (buckets only, no raw rows)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import TruncHour

from analytics.detector import Level
from analytics.detector.baselines import slot_of_week
from analytics.models import (
    Baseline,
    CountryBucket,
    ProblemBucket,
    ServiceBucket,
    ServiceStatus,
)
from analytics.timeutils import bucket_width, ceil_bucket, floor_bucket
from reports.models import ProblemType, Service


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime
    reports: int
    expected: float
    simulated: int


def service_series(service: Service, start: datetime, end: datetime) -> list[SeriesPoint]:
    """One point per bucket in [start, end), zeros where no reports, with the baseline."""
    width = bucket_width()
    first, stop = floor_bucket(start, width), ceil_bucket(end, width)
    rows = {
        b_start: (reports, simulated)
        for b_start, reports, simulated in ServiceBucket.objects.filter(service=service)
        .in_window(first, stop)
        .values_list("start", "reports", "simulated")
    }
    baseline = Baseline.objects.filter(service=service).values_list("expected", flat=True).first()
    expected = baseline or []
    points = []
    moment = first
    while moment < stop:
        reports, simulated = rows.get(moment, (0, 0))
        points.append(
            SeriesPoint(
                moment,
                reports,
                expected[slot_of_week(moment, width)] if expected else 0.0,
                simulated,
            )
        )
        moment += width
    return points


def group_series(services: list[int], start: datetime, end: datetime) -> list[SeriesPoint]:
    """The sum of several services' series (a group's combined chart), in two queries."""
    width = bucket_width()
    first, stop = floor_bucket(start, width), ceil_bucket(end, width)
    rows = {
        b_start: (reports, simulated)
        for b_start, reports, simulated in ServiceBucket.objects.filter(service_id__in=services)
        .in_window(first, stop)
        .values_list("start")
        .annotate(total=Sum("reports"), simulated_total=Sum("simulated"))
        .values_list("start", "total", "simulated_total")
        .order_by()
    }
    baselines = list(
        Baseline.objects.filter(service_id__in=services).values_list("expected", flat=True)
    )
    points = []
    moment = first
    while moment < stop:
        reports, simulated = rows.get(moment, (0, 0))
        slot = slot_of_week(moment, width)
        expected = sum(b[slot] for b in baselines if len(b) > slot)
        points.append(SeriesPoint(moment, reports, expected, simulated))
        moment += width
    return points


def hourly_sparklines(services: list[int], end: datetime, hours: int = 24) -> dict[int, list[int]]:
    """Reports per hour for the last `hours` hours, per service id, oldest first, zero-filled."""
    last = end.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    rows = (
        ServiceBucket.objects.filter(service_id__in=services)
        .in_window(first, last + timedelta(hours=1))
        .annotate(hour=TruncHour("start"))
        .values_list("service_id", "hour")
        .annotate(total=Sum("reports"))
        .order_by()
    )
    lines = {sid: [0] * hours for sid in services}
    for sid, hour, total in rows:
        lines[sid][int((hour - first) / timedelta(hours=1))] = total
    return lines


RECENT_BUCKETS = 3  # the filling bucket and the two before it: about the last 15 minutes


def recent_counts(services: list[int], now: datetime) -> dict[int, tuple[int, float]]:
    """Per service id, the reports of the last RECENT_BUCKETS buckets and their baseline sum, as
    the service page's banner counts them; in one query. Services without a baseline: 0.0."""
    if not services:
        return {}
    width = bucket_width()
    last = floor_bucket(now, width)
    starts = [last - i * width for i in range(RECENT_BUCKETS)]
    slots = " + ".join(
        f"coalesce(b.expected[{slot_of_week(start, width) + 1}], 0)" for start in starts
    )  # PostgreSQL arrays count from 1; the slots are integers computed here, not input
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, (SELECT coalesce(sum(k.reports), 0) FROM analytics_servicebucket k"
            " WHERE k.service_id = s.id AND k.start >= %(first)s AND k.start < %(end)s),"
            f" (SELECT {slots} FROM analytics_baseline b WHERE b.service_id = s.id)"
            " FROM unnest(%(ids)s::bigint[]) AS s(id)",
            {"ids": services, "first": starts[-1], "end": last + width},
        )
        return {sid: (int(total), float(usual or 0.0)) for sid, total, usual in cursor.fetchall()}


@dataclass(frozen=True)
class ProblemShare:
    slug: str
    name: str
    reports: int
    percent: float


def problem_shares(
    service: Service, problems: list[ProblemType], start: datetime, end: datetime
) -> list[ProblemShare]:
    """Reports per problem type over [start, end), largest first; each of `problems` listed."""
    totals = dict(
        ProblemBucket.objects.filter(service=service)
        .in_window(start, end)
        .values_list("problem_id")
        .annotate(total=Sum("reports"))
        .order_by()
    )
    grand = sum(totals.values())
    shares = [
        ProblemShare(
            slug=p.slug,
            name=p.name,
            reports=totals.get(p.pk, 0),
            percent=round(100 * totals.get(p.pk, 0) / grand, 1) if grand else 0.0,
        )
        for p in problems
    ]
    return sorted(shares, key=lambda s: (-s.reports, s.name))


def country_counts(service: Service, start: datetime, end: datetime) -> dict[str, int]:
    """Reports per country (alpha-2) over [start, end); reports of unknown origin left out."""
    return dict(
        CountryBucket.objects.filter(service=service)
        .in_window(start, end)
        .exclude(country="")
        .values_list("country")
        .annotate(total=Sum("reports"))
        .order_by()
    )


def recent_and_daily_countries(
    service: Service, recent_start: datetime, start: datetime, end: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Reports per country over [recent_start, end) and over [start, end), in one query."""
    rows = (
        CountryBucket.objects.filter(service=service)
        .in_window(start, end)
        .exclude(country="")
        .values_list("country")
        .annotate(recent=Sum("reports", filter=Q(start__gte=recent_start)), total=Sum("reports"))
        .order_by()
    )
    recent, daily = {}, {}
    for country, in_recent, total in rows:
        daily[country] = total
        if in_recent:
            recent[country] = in_recent
    return recent, daily


def status_for(service: Service) -> ServiceStatus:
    """The stored status, or a 'no problems' one for a service the detector has not seen yet."""
    try:
        return service.status
    except ServiceStatus.DoesNotExist:
        return ServiceStatus(service=service, level=Level.OK)
