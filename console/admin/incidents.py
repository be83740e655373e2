"""Incidents and what the detector keeps, in the console: review and verdicts, statuses,
buckets, baselines, per-service tuning, official updates and maintenance windows."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from analytics.incidents import WITHDRAWN_AS_FALSE_ALARM, withdraw
from analytics.models import (
    Baseline,
    DetectorTuning,
    Incident,
    MaintenanceWindow,
    OfficialUpdate,
    ServiceBucket,
    ServiceStatus,
)
from analytics.series import service_series
from analytics.verdicts import VERDICT_WINDOW, service_verdict_report, verdicts_per_service
from analytics.views import chart_payload
from console.audit import AuditedAdmin, audited_update
from console.quarantine import suggested_for_incident
from console.words import counted
from reports.geo import country_name
from reports.models import AuditEntry, Service


@admin.register(Incident)
class IncidentAdmin(AuditedAdmin):
    list_display = [
        "service",
        "state",
        "detected_at",
        "started_at",
        "peak_reports",
        "ratio_at_open",
        "p_at_open",
        "ended_at",
        "verdict",
    ]
    list_filter = ["review", "verdict", "status", "service__group", "service__category"]
    actions = ["clear_review", "confirm", "false_alarm", "withdraw"]
    list_select_related = ["service"]
    search_fields = ["service__name"]
    date_hierarchy = "detected_at"
    # What a moderator reads, in words and rounded numbers; the state machine's own fields
    # (levels, quiet buckets, the review kept for a release) stay out of the way.
    fieldsets = [
        (None, {"fields": ["service", "state", "review_reason", "verdict"]}),
        ("When", {"fields": ["started_at", "detected_at", "peak_at", "ended_at"]}),
        ("Evidence", {"fields": ["opening", "peak", "countries_table", "group_incident"]}),
    ]
    readonly_fields = [
        "service", "state", "review_reason", "started_at", "detected_at", "peak_at", "ended_at",
        "opening", "peak", "countries_table", "group_incident",
    ]  # fmt: skip
    change_list_template = "admin/analytics/incident/change_list.html"
    change_form_template = "admin/analytics/incident/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False  # incidents are the detector's; a moderator judges them

    def save_model(self, request, obj, form, change) -> None:
        """A verdict given on the change form counts like one given by an action (audited);
        a false alarm that is still on the public pages comes off them at once."""
        super().save_model(request, obj, form, change)
        false_alarm = obj.verdict == Incident.Verdict.FALSE_ALARM
        if "verdict" in form.changed_data and false_alarm:
            self._withdraw(request, Incident.objects.unresolved().filter(pk=obj.pk))

    def get_urls(self):
        verdicts = self.admin_site.admin_view(self.verdicts_view)
        service_verdicts = self.admin_site.admin_view(self.service_verdicts_view)
        withdraw_one = self.admin_site.admin_view(self.withdraw_view)
        return [
            path("<int:incident_id>/withdraw/", withdraw_one, name="analytics_incident_withdraw"),
            path("verdicts/", verdicts, name="analytics_incident_verdicts"),
            path(
                "verdicts/<int:service_id>/",
                service_verdicts,
                name="analytics_incident_service_verdicts",
            ),
            *super().get_urls(),
        ]

    def verdicts_view(self, request: HttpRequest) -> HttpResponse:
        """Per service, how its incidents of the last 90 days were judged: which ones cry wolf."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Verdicts of the last {VERDICT_WINDOW.days} days",
            "rows": verdicts_per_service(timezone.now() - VERDICT_WINDOW),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/analytics/incident/verdicts.html", context)

    def service_verdicts_view(self, request: HttpRequest, service_id: int) -> HttpResponse:
        """One service's incidents of the last 90 days by verdict, its tuning, and how to replay
        its history with that tuning."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        service = get_object_or_404(Service, pk=service_id)
        report = service_verdict_report(service, timezone.now() - VERDICT_WINDOW)
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "title": f"Verdicts on {service.name}, last {VERDICT_WINDOW.days} days",
            "report": report,
            "can_change_tuning": user.has_perm("analytics.change_detectortuning"),
            "can_add_tuning": user.has_perm("analytics.add_detectortuning"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/analytics/incident/service_verdicts.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The incident with its evidence one click away: its public page, the reports and
        bursts of its window, and the quarantine of the reports behind it, filled in."""
        incident = get_object_or_404(Incident.objects.select_related("service"), pk=object_id)
        end = incident.ended_at or timezone.now()
        window = {
            "service__id__exact": incident.service_id,
            "created_at__gte": incident.started_at.isoformat(),
            "created_at__lt": end.isoformat(),
        }
        minutes = int((timezone.now() - incident.started_at).total_seconds() // 60) + 1
        now = timezone.now()
        chart_end = min(now, end + timedelta(hours=1))
        points = service_series(
            incident.service, incident.started_at - timedelta(hours=1), chart_end
        )
        context = {
            "chart": chart_payload(points, [incident], filling=chart_end == now),
            **(extra_context or {}),
            "public_url": reverse("incident-detail", args=[incident.pk]),
            "reports_url": reverse("admin:reports_report_changelist") + "?" + urlencode(window),
            "bursts_url": reverse("admin:reports_report_bursts") + f"?minutes={minutes}",
            "quarantine_url": reverse("admin:reports_quarantine_add")
            + "?"
            + urlencode(suggested_for_incident(incident, timezone.now())),
            "withdrawn": incident.review == Incident.Review.WITHDRAWN,
        }
        return super().change_view(request, object_id, form_url, context)

    def withdraw_view(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        """Ask, then withdraw one incident as a false alarm: its service's public level drops
        at once."""
        incident = get_object_or_404(Incident.objects.select_related("service"), pk=incident_id)
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        if request.method == "POST":
            self._withdraw(request, [incident])
            self.message_user(
                request, f"Incident withdrawn; {incident.service.name} no longer shows it."
            )
            return HttpResponseRedirect(
                reverse("admin:analytics_incident_change", args=[incident.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Withdraw this incident?",
            "incident": incident,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/analytics/incident/withdraw.html", context)

    def _withdraw(self, request, incidents) -> int:
        """Withdraw as false alarms, audited; returns how many were not withdrawn already."""
        count = 0
        with transaction.atomic():
            for incident in incidents:
                if incident.review == Incident.Review.WITHDRAWN:
                    continue
                withdraw(incident, WITHDRAWN_AS_FALSE_ALARM)
                incident.verdict = Incident.Verdict.FALSE_ALARM
                incident.save(update_fields=["verdict"])
                AuditEntry.objects.create(
                    user=request.user,
                    action="withdraw incident",
                    detail=f"incidents {incident.pk} ({incident.service.name})",
                    rows=1,
                )
                count += 1
        return count

    @admin.action(
        description="Withdraw the selected incidents as false alarms (the public level drops now)",
        permissions=["change"],
    )
    def withdraw(self, request, queryset) -> None:
        count = self._withdraw(request, queryset.select_related("service"))
        self.message_user(request, f"{counted(count, 'incident')} withdrawn.")

    @admin.action(
        description="Clear: show the selected held or withdrawn incidents publicly",
        permissions=["change"],
    )
    def clear_review(self, request, queryset) -> None:
        held = queryset.filter(review__in=[Incident.Review.HELD, Incident.Review.WITHDRAWN])
        count = audited_update(
            request.user, held, "clear incident", review=Incident.Review.CLEARED, withdrawn_by=None
        )
        self.message_user(
            request,
            f"{counted(count, 'incident')} cleared; the next run shows "
            f"{'them' if count != 1 else 'it'}.",
        )

    def _judge(self, request, queryset, verdict: str, label: str) -> None:
        count = audited_update(request.user, queryset, label, verdict=verdict)
        self.message_user(request, f"{counted(count, 'incident')} marked: {label}.")

    @admin.action(description="Confirm the selected incidents as outages", permissions=["change"])
    def confirm(self, request, queryset) -> None:
        self._judge(request, queryset, Incident.Verdict.CONFIRMED, "confirmed")

    @admin.action(
        description="Mark the selected incidents as false alarms (withdrawing unresolved ones)",
        permissions=["change"],
    )
    def false_alarm(self, request, queryset) -> None:
        """A false alarm that is still on the public pages comes off them at once."""
        self._withdraw(request, queryset.unresolved().select_related("service"))
        self._judge(request, queryset, Incident.Verdict.FALSE_ALARM, "false alarm")

    @admin.display(description="ratio at open")
    def ratio_at_open(self, incident: Incident) -> str:
        return f"{incident.opened_ratio:.1f}×"

    @admin.display(description="p at open")
    def p_at_open(self, incident: Incident) -> str:
        return probability(incident.opened_probability)

    @admin.display(description="state")
    def state(self, incident: Incident) -> str:
        """One word for where it stands, the review first: what the public is shown."""
        if incident.review in (Incident.Review.HELD, Incident.Review.WITHDRAWN):
            return incident.get_review_display()
        return incident.get_status_display()

    @admin.display(description="at opening")
    def opening(self, incident: Incident) -> str:
        return (
            f"{incident.opened_reports} reports in {incident.opened_minutes} minutes against "
            f"{incident.opened_expected:.1f} expected ({incident.opened_ratio:.1f}×, "
            f"p {probability(incident.opened_probability)})"
        )

    @admin.display(description="peak")
    def peak(self, incident: Incident) -> str:
        return (
            f"{incident.peak_reports} reports against {incident.peak_expected:.1f} expected "
            f"({incident.peak_ratio:.1f}×, p {probability(incident.peak_probability)})"
        )

    @admin.display(description="countries behind the excess")
    def countries_table(self, incident: Incident) -> str:
        if not incident.countries:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} %</td></tr>",
            (
                (country_name(c["country"]), round(c["excess"]), round(100 * c["share"]))
                for c in incident.countries
            ),
        )
        return format_html(
            "<table><thead><tr><th>Country</th><th>Extra reports</th><th>Share</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )


def probability(p: float) -> str:
    """A tail probability a moderator can read: "< 1e-12", "3.2e-07", "0.042"."""
    if p < 1e-12:
        return "< 1e-12"
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


@admin.register(ServiceStatus)
class ServiceStatusAdmin(AuditedAdmin):
    list_display = [
        "service",
        "level",
        "since",
        "observed",
        "expected",
        "probability",
        "updated_at",
    ]
    list_filter = ["level"]
    list_select_related = ["service"]
    search_fields = ["service__name"]
    readonly_fields = [f.name for f in ServiceStatus._meta.fields]


@admin.register(ServiceBucket)
class ServiceBucketAdmin(AuditedAdmin):
    list_display = ["service", "start", "reports", "simulated"]
    list_select_related = ["service"]
    search_fields = ["service__name"]
    date_hierarchy = "start"
    show_full_result_count = False
    readonly_fields = ["service", "start", "reports", "simulated"]


@admin.register(Baseline)
class BaselineAdmin(AuditedAdmin):
    list_display = ["service", "level", "noise", "history_days", "typical_per_bucket", "updated_at"]
    list_select_related = ["service"]
    search_fields = ["service__name"]
    readonly_fields = ["service", "expected", "noise", "level", "history_days", "updated_at"]

    @admin.display(description="mean per bucket")
    def typical_per_bucket(self, baseline: Baseline) -> str:
        return f"{sum(baseline.expected) / max(len(baseline.expected), 1):.2f}"


@admin.register(DetectorTuning)
class DetectorTuningAdmin(AuditedAdmin):
    """Per-service overrides of the detector's defaults, validated on save (model.clean)."""

    list_display = ["service", "overrides", "reason", "updated_at"]
    list_select_related = ["service"]
    search_fields = ["service__name", "reason"]
    autocomplete_fields = ["service"]


@admin.register(OfficialUpdate)
class OfficialUpdateAdmin(AuditedAdmin):
    list_display = ["posted_at", "service", "short_text", "source_url", "incident"]
    list_filter = ["service__group"]
    list_select_related = ["service"]
    search_fields = ["text", "service__name"]
    autocomplete_fields = ["service"]
    raw_id_fields = ["incident"]

    @admin.display(description="text")
    def short_text(self, update: OfficialUpdate) -> str:
        return update.text[:80]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(AuditedAdmin):
    list_display = ["service", "start", "end", "suppress", "note"]
    list_filter = ["suppress"]
    list_select_related = ["service"]
    autocomplete_fields = ["service"]
