"""The read API: services with status, a service's series, incidents."""

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
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
from analytics.series import service_series, status_for
from analytics.timeutils import bucket_width
from reports.models import Service

MAX_SERIES_HOURS = 24 * 7


class Pagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class StatusSerializer(serializers.Serializer):
    level = serializers.SerializerMethodField()
    # The serializer's metaclass moves declared fields out of the class, so this does not replace
    # Field.label at run time; the stubs see the class attribute only.
    label = serializers.CharField(source="get_level_display")  # type: ignore[assignment]
    since = serializers.DateTimeField(allow_null=True)
    observed = serializers.IntegerField(help_text="Reports in the current (filling) bucket.")
    expected = serializers.FloatField(help_text="Baseline for the current bucket.")
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_level(self, status) -> str:
        return Level(status.level).slug


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


class ServiceDetailSerializer(ServiceSerializer):
    problem_types = serializers.SerializerMethodField()

    def get_problem_types(self, service: Service) -> list[dict]:
        return [{"slug": p.slug, "name": p.name} for p in service.category.problem_types.all()]


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
    @extend_schema(responses=ServiceDetailSerializer, summary="One service with its status")
    def get(self, request: Request, slug: str) -> Response:
        service = get_object_or_404(
            _services().prefetch_related("category__problem_types"), slug=slug
        )
        return Response(ServiceDetailSerializer(service).data)


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    reports = serializers.IntegerField()
    expected = serializers.FloatField()
    simulated = serializers.IntegerField()


class SeriesSerializer(serializers.Serializer):
    service = serializers.SlugField()
    bucket_minutes = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    points = SeriesPointSerializer(many=True)


class ServiceSeriesAPI(APIView):
    class QuerySerializer(serializers.Serializer):
        hours = serializers.IntegerField(min_value=1, max_value=MAX_SERIES_HOURS, default=24)

    @extend_schema(
        parameters=[QuerySerializer],
        responses=SeriesSerializer,
        summary="Dense reports-per-bucket series with the baseline",
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
        service = get_object_or_404(Service.objects.active(), slug=slug)
        end = timezone.now()
        points = service_series(service, end - timedelta(hours=hours), end)
        data = {
            "service": service.slug,
            "bucket_minutes": int(bucket_width().total_seconds() // 60),
            "start": points[0].start,
            "end": points[-1].start + bucket_width(),
            "points": [p.__dict__ for p in points],
        }
        return JSONRenderer().render(SeriesSerializer(data).data)


@extend_schema(
    parameters=[
        OpenApiParameter("service", str, description="Service slug"),
        OpenApiParameter("status", str, enum=[s.value for s in Incident.Status]),
    ],
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
    @extend_schema(responses=IncidentSerializer, summary="One incident with its evidence")
    def get(self, request: Request, pk: int) -> Response:
        incident = get_object_or_404(Incident.objects.select_related("service"), pk=pk)
        return Response(IncidentSerializer(incident, context={"request": request}).data)
