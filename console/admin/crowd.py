"""What the crowd sent, in the console: reports (with the bursts explorer), the comment
moderation queue, blocked patterns, quarantines and the audit log."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Case, When
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from console.audit import AuditedAdmin, audited_update
from console.explorer import find_bursts
from console.quarantine import apply_quarantine, release_quarantine
from console.words import counted
from reports.models import AuditEntry, BlockedPattern, Comment, Quarantine, Report


@admin.register(Report)
class ReportAdmin(AuditedAdmin):
    list_display = [
        "created_at",
        "service",
        "problem",
        "country",
        "ua_family",
        "is_counted",
        "not_counted_reason",
        "is_simulated",
        "reporter_key",
    ]
    list_filter = [
        "is_counted",
        "not_counted_reason",
        "is_simulated",
        "service__category",
        "service",
        "problem__name",
        "ua_family",
        "country",
    ]
    list_select_related = ["service", "problem"]
    search_fields = ["service__name", "=reporter_key", "=network_key"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting tens of millions of rows would stall the page
    raw_id_fields = ["service", "problem"]
    change_list_template = "admin/reports/report/change_list.html"

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        explorer = {"reporter_key", "network_key", "created_at__gte", "created_at__lt"}
        return lookup in explorer or super().lookup_allowed(lookup, value, request)

    def get_urls(self):
        bursts = self.admin_site.admin_view(self.bursts_view)
        return [path("bursts/", bursts, name="reports_report_bursts"), *super().get_urls()]

    def bursts_view(self, request):
        """Many reports from one reporter key, one network or one browser family in a short
        window: the usual shape of a scripted flood."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            minutes = min(max(int(request.GET.get("minutes", 60)), 1), 7 * 24 * 60)
        except ValueError:
            minutes = 60
        now = timezone.now()
        rows = find_bursts(now - timedelta(minutes=minutes), now)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Bursts in the last {minutes} minutes",
            "bursts": rows,
            "minutes": minutes,
            "since": (now - timedelta(minutes=minutes)).isoformat(),
            "can_quarantine": request.user.has_perm("reports.add_quarantine"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reports/report/bursts.html", context)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # reports are evidence: never edited by hand

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retention deletes them; a quarantine takes them out of the counts

    def changelist_view(self, request, extra_context=None):
        retention = settings.TREMOR["REPORT_RETENTION_DAYS"]
        return super().changelist_view(
            request, {**(extra_context or {}), "retention_days": retention}
        )


class HeldBecause(admin.SimpleListFilter):
    """Why comments wait, by kind: the reasons carry numbers and words, so their first words."""

    title = "held because"
    parameter_name = "held"
    KINDS = {
        "link": ("contains a link", "It contains a link"),
        "pattern": ("matches the blocklist", "Its text matches a blocked pattern"),
        "reporter": ("this reporter had", "Its reporter had a comment hidden"),
        "trap": ("the form's hidden trap", "A bot filled the trap field"),
        "quarantine": ("its report was set aside", "Its report was quarantined"),
        "incident": ("its network's reports hold", "Its network's incident is held"),
    }

    def lookups(self, request, model_admin):
        return [(kind, label) for kind, (_, label) in self.KINDS.items()]

    def queryset(self, request, queryset):
        kind = self.KINDS.get(self.value() or "")
        return queryset.filter(held_because__startswith=kind[0]) if kind else queryset


@admin.register(Comment)
class CommentAdmin(AuditedAdmin):
    """The moderation queue: pending comments first, bulk actions, the reporter's other comments
    one click away (reporter keys rotate daily, so "other" means the same day)."""

    list_display = ["created_at", "service", "short_body", "status", "held_because", "reporter"]
    list_filter = ["status", HeldBecause, "service__category", "service"]
    list_select_related = ["service", "report"]
    search_fields = ["body", "service__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["report", "service"]
    readonly_fields = ["report", "service", "created_at", "body", "held_because"]
    fields = ["service", "created_at", "body", "status", "held_because", "report"]
    actions = ["make_visible", "hide", "mark_spam"]

    def get_ordering(self, request):
        # The change list orders by this, not by the queryset's own order (nor the model's).
        return [Case(When(status=Comment.Status.PENDING, then=0), default=1).asc(), "-created_at"]

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        by_identity = lookup in {"report__reporter_key", "report__network_key"}
        return by_identity or super().lookup_allowed(lookup, value, request)

    @admin.display(description="comment")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    @admin.display(description="same sender")
    def reporter(self, comment: Comment) -> str:
        url = reverse("admin:reports_comment_changelist")
        reporter = format_html(
            '<a href="{}?report__reporter_key={}">reporter</a>', url, comment.report.reporter_key
        )
        if not comment.report.network_key:
            return reporter
        return format_html(
            '{} · <a href="{}?report__network_key={}">network</a>',
            reporter,
            url,
            comment.report.network_key,
        )

    def _set(self, request, queryset, status: str, verb: str) -> None:
        count = audited_update(request.user, queryset, f"comments {verb}", status=status)
        self.message_user(request, f"{counted(count, 'comment')} {verb}.")

    @admin.action(description="Show the selected comments", permissions=["change"])
    def make_visible(self, request, queryset) -> None:
        self._set(request, queryset, Comment.Status.VISIBLE, "shown")

    @admin.action(description="Hide the selected comments", permissions=["change"])
    def hide(self, request, queryset) -> None:
        self._set(request, queryset, Comment.Status.HIDDEN, "hidden")

    @admin.action(description="Mark the selected comments as spam", permissions=["change"])
    def mark_spam(self, request, queryset) -> None:
        self._set(request, queryset, Comment.Status.SPAM, "marked as spam")


@admin.register(BlockedPattern)
class BlockedPatternAdmin(AuditedAdmin):
    """Words and patterns that hold a new comment for review (validated on save)."""

    list_display = ["pattern", "kind", "note", "created_at"]
    list_filter = ["kind"]
    search_fields = ["pattern", "note"]


@admin.register(Quarantine)
class QuarantineAdmin(AuditedAdmin):
    """Set reports aside as abuse (on save), release them (action). Both are audited, and the
    window's buckets and the service's baseline are recounted by a Celery task."""

    list_display = [
        "created_at", "service", "start", "end", "reports_count", "created_by", "released_at",
    ]  # fmt: skip
    list_filter = ["service"]
    list_select_related = ["service", "created_by"]
    autocomplete_fields = ["service"]
    fields = [
        "service", "start", "end", "reporter_key", "network_key", "ua_family", "comments", "reason",
    ]  # fmt: skip
    actions = ["release"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields + ["reports_count", "released_at"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # its reports point at it: release it instead (audited)

    def get_changeform_initial_data(self, request) -> dict[str, Any]:
        """The form filled in from a link (a burst row, an incident): times come as ISO 8601."""
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        for name in ("start", "end"):
            try:
                moment = parse_datetime(str(initial.get(name, "")))
            except ValueError:  # well formed but not a date, such as month 13
                moment = None
            if moment is None:
                initial.pop(name, None)
            elif timezone.is_naive(moment):
                initial[name] = timezone.make_aware(moment)
            else:
                initial[name] = moment
        return initial

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # a quarantine is applied once; release it and make a new one to change it
        count = apply_quarantine(obj, request.user)
        self.message_user(
            request, f"{counted(count, 'report')} set aside; the counts are being redone."
        )

    @admin.action(description="Release the selected quarantines", permissions=["change"])
    def release(self, request, queryset) -> None:
        total = sum(release_quarantine(q, request.user) for q in queryset)
        self.message_user(
            request, f"{counted(total, 'report')} counted again; the counts are being redone."
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "rows", "detail"]
    list_filter = ["action"]
    search_fields = ["detail"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
