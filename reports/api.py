"""The write API: POST /api/v1/services/<slug>/reports."""

from typing import cast

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.metrics import count_refusal
from reports.catalog import ServiceEntry, service_entry
from reports.geo import country_names
from reports.models import ProblemType
from reports.services import pending_report, reporter_from_request, submit_pending
from reports.throttling import check_reporter_throttle

_TIMESTAMP = serializers.DateTimeField()


class ReportCreateAPI(APIView):
    def check_throttles(self, request: Request) -> None:
        """DRF would throttle before the body is read; here only a valid report counts
        against the limits (post() calls _throttle after validation)."""

    def _throttle(self, request: Request, service_id: int) -> None:
        wait = check_reporter_throttle(request, service_id)
        if wait is not None:
            count_refusal("throttled")
            self.throttled(request, wait)

    class ReportSubmissionSerializer(serializers.Serializer):
        problem = serializers.SlugField(
            max_length=50, help_text="A problem type slug of the service, in any case."
        )
        comment = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=cast(int, settings.TREMOR["COMMENT_MAX_LENGTH"]),
        )
        country = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=2,
            help_text="Optional ISO 3166-1 alpha-2 code; otherwise guessed from the address.",
        )
        region = serializers.CharField(required=False, allow_blank=True, max_length=100)

        def validate_problem(self, value: str) -> ProblemType:
            entry: ServiceEntry = self.context["entry"]
            problem = entry.problem(value)
            if problem is None:
                raise serializers.ValidationError(
                    f"Unknown problem type {value!r} for {entry.service.name}; "
                    f"one of: {', '.join(entry.problems)}."
                )
            return problem

        def validate_country(self, value: str) -> str:
            code = value.strip().upper()
            if code and code not in country_names():
                raise serializers.ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 code.")
            return code

    # Documents the answer (the schema); the view builds the dict itself, since instantiating a
    # serializer per answer (a deep copy of its fields) was a tenth of the report path.
    class ReportReceiptSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        service = serializers.CharField()
        problem = serializers.CharField()
        created_at = serializers.DateTimeField()
        counted = serializers.BooleanField()
        message = serializers.CharField()

    @extend_schema(
        request=ReportSubmissionSerializer,
        responses={
            201: OpenApiResponse(ReportReceiptSerializer, "Stored and counted."),
            200: OpenApiResponse(
                ReportReceiptSerializer, "Stored; this reporter was already counted."
            ),
            400: OpenApiResponse(description="Invalid input, with a message per field."),
            404: OpenApiResponse(description="Unknown service."),
            413: OpenApiResponse(description="The body is over the size limit (given as limit)."),
            429: OpenApiResponse(description="Too many reports; see Retry-After."),
        },
        summary="Report a problem with a service",
    )
    def post(self, request: Request, slug: str) -> Response:
        entry = service_entry(slug)
        if entry is None:
            raise exceptions.NotFound("No active service with this slug.")
        service = entry.service
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        serializer = self.ReportSubmissionSerializer(data=request.data, context={"entry": entry})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._throttle(request, service.pk)
        now = timezone.now()
        reporter = reporter_from_request(
            request, now=now, country=data.get("country", ""), region=data.get("region", "")
        )
        submission = submit_pending(
            pending_report(
                service=service,
                problem=data["problem"],
                reporter=reporter,
                comment=data.get("comment", ""),
                now=now,
            )
        )
        minutes = settings.TREMOR["DEDUPE_MINUTES"]
        output = {
            "id": submission.report.pk,
            "service": service.slug,
            "problem": data["problem"].slug,
            "created_at": _TIMESTAMP.to_representation(submission.report.created_at),
            "counted": submission.counted,
            "message": (
                f"Thank you: your report about {service.name} was counted."
                if submission.counted
                else f"Thank you: your report was stored; you were already counted for "
                f"{service.name} in the last {minutes} minutes."
            ),
        }
        return Response(
            output,
            status=status.HTTP_201_CREATED if submission.counted else status.HTTP_200_OK,
        )

    def handle_exception(self, exc: Exception) -> Response:
        # A body that is not JSON is a client error like any other: 400 with a clear message.
        if isinstance(exc, exceptions.UnsupportedMediaType):
            exc = exceptions.ValidationError(
                {"non_field_errors": [f"{exc.detail} Send the report as application/json."]}
            )
        if isinstance(exc, exceptions.ValidationError | exceptions.ParseError):
            count_refusal("invalid")
        return super().handle_exception(exc)
