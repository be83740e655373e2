"""The read API: services with status, a service's series, incidents."""

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.detector import Level
from analytics.incidents import incident_public_level
from analytics.models import Incident
from analytics.page_cache import analytics_stamp, cached_response
from analytics.series import country_counts, problem_shares, service_series, status_for
from analytics.timeutils import bucket_width
from analytics.worldmap import top_countries
from reports.geo import country_names
from reports.models import Service, ServiceGroup

MAX_SERIES_HOURS = 24 * 7
DAY = timedelta(hours=24)


class Pagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class ErrorSerializer(serializers.Serializer):
    """Every refusal under /api/: a message, and for invalid input one list per field."""

    detail = serializers.CharField()


BAD_QUERY = OpenApiResponse(
    ErrorSerializer, "Invalid query (a NUL byte, a value out of range): a message per parameter."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, "No such service, group or incident.")


class StatusSerializer(serializers.Serializer):
    level = serializers.SerializerMethodField()
    # The serializer's metaclass moves declared fields out of the class, so this does not replace
    # Field.label at run time; the stubs see the class attribute only.
    label = serializers.CharField(source="get_level_display")  # type: ignore[assignment]
    since = serializers.DateTimeField(allow_null=True)
    observed = serializers.IntegerField(help_text="Reports in the current (filling) bucket.")
    expected = serializers.SerializerMethodField(
        help_text="Baseline for the current bucket (two decimals)."
    )
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_level(self, status) -> str:
        return Level(status.level).slug

    def get_expected(self, status) -> float:
        return round(status.expected, 2)


class ServiceSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    group = serializers.CharField(source="group.slug", allow_null=True, default=None)
    homepage_url = serializers.URLField()
    aliases = serializers.ListField(child=serializers.CharField())
    status = serializers.SerializerMethodField()

    @extend_schema_field(StatusSerializer)
    def get_status(self, service: Service) -> dict:
        return StatusSerializer(status_for(service)).data


class ProblemTypeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ProblemShareSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    reports = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Of the window's reports, one decimal.")


class ProblemWindowsSerializer(serializers.Serializer):
    last_hour = ProblemShareSerializer(many=True)
    last_24_hours = ProblemShareSerializer(many=True)


class CountrySerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    name = serializers.CharField()
    reports = serializers.IntegerField(
        allow_null=True, help_text="Null when under the privacy threshold (shown as <5)."
    )
    shown = serializers.CharField(help_text='"120", or "<5" for a small count.')
    percent = serializers.IntegerField(allow_null=True)


class IncidentLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="The incident's public page.")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    public_level = serializers.CharField(help_text="ok, possible or problems (see Incident).")


def incident_link(incident: Incident, request: Request | None) -> dict:
    path = reverse("incident-detail", args=[incident.pk])
    return {
        "id": incident.pk,
        "url": request.build_absolute_uri(path) if request else path,
        "started_at": incident.started_at,
        "ended_at": incident.ended_at,
        "public_level": Level(incident_public_level(incident)).slug,
    }


class ServiceDetailSerializer(ServiceSerializer):
    url = serializers.SerializerMethodField(help_text="The service's public page.")
    problem_types = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField(
        help_text="Reports per problem type in the last hour and the last 24 hours."
    )
    countries = serializers.SerializerMethodField(
        help_text="Where the last 24 hours' reports come from, most first (at most ten)."
    )
    open_incident = serializers.SerializerMethodField()

    @extend_schema_field(ProblemTypeSerializer(many=True))
    def get_problem_types(self, service: Service) -> list[dict]:
        return [{"slug": p.slug, "name": p.name} for p in service.category.problem_types.all()]

    def get_url(self, service: Service) -> str:
        path = reverse("service-detail", args=[service.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(ProblemWindowsSerializer)
    def get_problems(self, service: Service) -> dict:
        now = self.context["now"]
        kinds = list(service.category.problem_types.all())
        return {
            name: [
                {**share.__dict__, "percent": round(share.percent, 1)}
                for share in problem_shares(service, kinds, now - span, now)
            ]
            for name, span in (("last_hour", timedelta(hours=1)), ("last_24_hours", DAY))
        }

    @extend_schema_field(CountrySerializer(many=True))
    def get_countries(self, service: Service) -> list[dict]:
        now = self.context["now"]
        return [
            {
                "country": c.code,
                "name": c.name,
                "reports": c.reports if c.percent is not None else None,
                "shown": c.shown,
                "percent": c.percent,
            }
            for c in top_countries(country_counts(service, now - DAY, now), country_names())
        ]

    @extend_schema_field(IncidentLinkSerializer(allow_null=True))
    def get_open_incident(self, service: Service) -> dict | None:
        incident = Incident.objects.unresolved().shown().filter(service=service).first()
        return incident_link(incident, self.context.get("request")) if incident else None


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(source="service.slug")
    service_name = serializers.CharField(source="service.name")
    url = serializers.SerializerMethodField(help_text="The incident's public page.")
    status = serializers.CharField(
        help_text="The detector's state: open, recovering or resolved (see public_level)."
    )
    public_level = serializers.SerializerMethodField(
        help_text="What the public sees for it now: ok once resolved or withdrawn; possible "
        "while recovering or held for review; problems while open."
    )
    held = serializers.SerializerMethodField(
        help_text="Held for review: a moderator checks before it is shown as an outage."
    )
    withdrawn = serializers.SerializerMethodField(
        help_text="Withdrawn: a moderator found it a false alarm, or the reports that opened it "
        "were quarantined as abuse (review_reason says which). It gives its service no level."
    )
    verdict = serializers.CharField(
        help_text='A moderator\'s judgement: "" (none yet), "confirmed" or "false_alarm".'
    )
    started_at = serializers.DateTimeField(
        help_text="When reports began rising (the first elevated bucket of the deciding window)."
    )
    detected_at = serializers.DateTimeField(
        help_text="When the detector decided to open the incident: latency is measured to this."
    )
    peak_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    opened_reports = serializers.IntegerField(help_text="Reports in the deciding window.")
    opened_expected = serializers.SerializerMethodField(
        help_text="Expected reports in that window (two decimals)."
    )
    opened_buckets = serializers.IntegerField(help_text="The deciding window's length in buckets.")
    opened_ratio = serializers.FloatField(
        help_text="opened_reports / max(opened_expected, 0.5 per bucket), one decimal, at most 1000."
    )
    peak_reports = serializers.IntegerField()
    peak_expected = serializers.SerializerMethodField(help_text="Two decimals.")
    peak_ratio = serializers.FloatField(help_text="The same rule for the peak bucket.")
    level = serializers.SerializerMethodField()
    opened_probability = serializers.FloatField(help_text="Upper-tail probability at opening.")
    peak_probability = serializers.FloatField()
    countries = serializers.JSONField(help_text="Countries behind most of the excess.")
    group_incident = serializers.IntegerField(source="group_incident_id", allow_null=True)
    review = serializers.CharField(
        help_text='"" (public), "held" (reports look like a flood; a moderator checks), '
        '"cleared" or "withdrawn".'
    )
    review_reason = serializers.CharField()

    def get_level(self, incident: Incident) -> str:
        return Level(incident.level).slug

    def get_public_level(self, incident: Incident) -> str:
        return Level(incident_public_level(incident)).slug

    def get_held(self, incident: Incident) -> bool:
        return incident.review == Incident.Review.HELD

    def get_withdrawn(self, incident: Incident) -> bool:
        return incident.review == Incident.Review.WITHDRAWN

    def get_url(self, incident: Incident) -> str:
        path = reverse("incident-detail", args=[incident.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_opened_expected(self, incident: Incident) -> float:
        return round(incident.opened_expected, 2)

    def get_peak_expected(self, incident: Incident) -> float:
        return round(incident.peak_expected, 2)


def _services():
    return Service.objects.active().select_related("category", "group", "status")


@extend_schema(
    parameters=[
        OpenApiParameter("category", str, description="Category slug"),
        OpenApiParameter("group", str, description="Group slug"),
        OpenApiParameter("search", str, description="Part of a name, slug or alias"),
    ],
    responses={200: ServiceSerializer(many=True), 400: BAD_QUERY},
    summary="Services with their current status",
)
class ServiceListAPI(ListAPIView):
    serializer_class = ServiceSerializer
    pagination_class = Pagination

    def get_queryset(self):
        services = _services()
        if category := self.request.query_params.get("category"):
            services = services.filter(category__slug=category)
        if group := self.request.query_params.get("group"):
            services = services.filter(group__slug=group)
        if search := self.request.query_params.get("search", "").strip()[:100]:
            services = services.search(search)
        return services


class ServiceDetailAPI(APIView):
    @extend_schema(
        responses={200: ServiceDetailSerializer, 400: BAD_QUERY, 404: NOT_FOUND},
        summary="One service with its status, problems, countries and open incident",
    )
    def get(self, request: Request, slug: str) -> Response:
        service = get_object_or_404(
            _services().prefetch_related("category__problem_types"), slug=slug
        )
        context = {"request": request, "now": timezone.now()}
        return Response(ServiceDetailSerializer(service, context=context).data)


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    reports = serializers.IntegerField()
    expected = serializers.FloatField(help_text="The baseline, two decimals.")
    simulated = serializers.IntegerField()


class SeriesSerializer(serializers.Serializer):
    service = serializers.SlugField()
    bucket_minutes = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    level = serializers.CharField(help_text="The service's public level now.")
    points = SeriesPointSerializer(many=True)
    incidents = IncidentLinkSerializer(
        many=True, help_text="The bands: incidents overlapping the series, withdrawn ones left out."
    )


class ServiceSeriesAPI(APIView):
    class QuerySerializer(serializers.Serializer):
        hours = serializers.IntegerField(min_value=1, max_value=MAX_SERIES_HOURS, default=24)

    @extend_schema(
        parameters=[QuerySerializer],
        responses={200: SeriesSerializer, 400: BAD_QUERY, 404: NOT_FOUND},
        summary="Dense reports-per-bucket series with the baseline and incident bands",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hours = query.validated_data["hours"]
        # The series only changes when the per-minute job runs: the answer is kept as bytes
        # until the next run, and a client or proxy holding it revalidates with its ETag.
        return cached_response(
            request,
            f"tremor:series:{slug}:{hours}:{analytics_stamp()}",
            lambda: self.render_series(slug, hours),
            "application/json",
        )

    @staticmethod
    def render_series(slug: str, hours: int) -> bytes:
        service = get_object_or_404(Service.objects.active().select_related("status"), slug=slug)
        end = timezone.now()
        points = service_series(service, end - timedelta(hours=hours), end)
        start = points[0].start
        bands = (
            Incident.objects.shown()
            .filter(service=service)
            .overlapping(start, end)
            .order_by("started_at")
        )
        data = {
            "service": service.slug,
            "bucket_minutes": int(bucket_width().total_seconds() // 60),
            "start": start,
            "end": points[-1].start + bucket_width(),
            "level": Level(status_for(service).level).slug,
            "points": [{**p.__dict__, "expected": round(p.expected, 2)} for p in points],
            "incidents": [incident_link(i, None) for i in bands],
        }
        return JSONRenderer().render(SeriesSerializer(data).data)


@extend_schema(
    parameters=[
        OpenApiParameter("service", str, description="Service slug"),
        OpenApiParameter("status", str, enum=[s.value for s in Incident.Status]),
    ],
    responses={200: IncidentSerializer(many=True), 400: BAD_QUERY},
    summary="Incidents, newest first",
)
class IncidentListAPI(ListAPIView):
    serializer_class = IncidentSerializer
    pagination_class = Pagination

    def get_queryset(self):
        incidents = Incident.objects.select_related("service")
        if service := self.request.query_params.get("service"):
            incidents = incidents.filter(service__slug=service)
        if status := self.request.query_params.get("status"):
            if status not in {s.value for s in Incident.Status}:
                raise exceptions.ValidationError(
                    {"status": [f"One of: {', '.join(s.value for s in Incident.Status)}."]}
                )
            incidents = incidents.filter(status=status)
        return incidents.order_by("-started_at", "-pk")


class IncidentDetailAPI(APIView):
    @extend_schema(
        responses={200: IncidentSerializer, 400: BAD_QUERY, 404: NOT_FOUND},
        summary="One incident with its evidence",
    )
    def get(self, request: Request, pk: int) -> Response:
        incident = get_object_or_404(Incident.objects.select_related("service"), pk=pk)
        return Response(IncidentSerializer(incident, context={"request": request}).data)


class GroupServiceSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    level = serializers.CharField(help_text="ok, possible or problems.")


class GroupSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="The group's public page.")
    level = serializers.CharField(help_text="The worst public level among its services.")
    services_total = serializers.IntegerField()
    services_affected = serializers.IntegerField(help_text="Services not at ok.")
    group_incident = serializers.DictField(
        allow_null=True, help_text="The open group incident: id and started_at, or null."
    )
    services = GroupServiceSerializer(many=True)


def group_status(group: ServiceGroup, services: list[Service], request: Request) -> dict:
    levels = [status_for(s).level for s in services]
    open_incident = group.incidents.filter(ended_at__isnull=True).first()
    return {
        "slug": group.slug,
        "name": group.name,
        "url": request.build_absolute_uri(reverse("group-detail", args=[group.slug])),
        "level": Level(max(levels, default=Level.OK)).slug,
        "services_total": len(services),
        "services_affected": sum(1 for level in levels if level > Level.OK),
        "group_incident": (
            {"id": open_incident.pk, "started_at": open_incident.started_at}
            if open_incident
            else None
        ),
        "services": [
            {"slug": s.slug, "name": s.name, "level": Level(level).slug}
            for s, level in zip(services, levels, strict=True)
        ],
    }


class GroupListAPI(APIView):
    @extend_schema(
        responses={200: GroupSerializer(many=True), 400: BAD_QUERY},
        summary="Groups (one vendor's services) with how many are affected",
    )
    def get(self, request: Request) -> Response:
        by_group: dict[int, list[Service]] = {}
        for service in _services().filter(group__isnull=False).order_by("name"):
            by_group.setdefault(service.group_id, []).append(service)
        groups = ServiceGroup.objects.filter(pk__in=by_group).order_by("name")
        return Response([group_status(g, by_group[g.pk], request) for g in groups])


class GroupDetailAPI(APIView):
    @extend_schema(
        responses={200: GroupSerializer, 400: BAD_QUERY, 404: NOT_FOUND},
        summary="One group with each service's level",
    )
    def get(self, request: Request, slug: str) -> Response:
        group = get_object_or_404(ServiceGroup, slug=slug)
        services = list(_services().filter(group=group).order_by("name"))
        return Response(group_status(group, services, request))
