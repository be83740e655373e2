"""The catalogue in the console: categories with their problem types, groups, services (with
deactivation and merging of duplicates)."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from console.audit import AuditedAdmin, audited_update
from console.merge import MergeError, merge_services
from console.words import counted
from reports.models import Category, ProblemType, Service, ServiceGroup


class ProblemTypeInline(admin.TabularInline):
    model = ProblemType
    extra = 0


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProblemTypeInline]


@admin.register(ServiceGroup)
class ServiceGroupAdmin(AuditedAdmin):
    list_display = ["name", "slug", "service_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="services")
    def service_count(self, group: ServiceGroup) -> int:
        return group.services.count()


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = ["name", "slug", "group", "category", "is_active"]
    list_filter = ["is_active", "category", "group"]
    list_select_related = ["group", "category"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["deactivate", "activate", "merge_into"]

    @admin.action(description="Deactivate the selected services", permissions=["change"])
    def deactivate(self, request, queryset) -> None:
        count = audited_update(request.user, queryset, "deactivate services", is_active=False)
        self.message_user(request, f"{counted(count, 'service')} deactivated (history kept).")

    @admin.action(description="Activate the selected services", permissions=["change"])
    def activate(self, request, queryset) -> None:
        count = audited_update(request.user, queryset, "activate services", is_active=True)
        self.message_user(request, f"{counted(count, 'service')} activated.")

    @admin.action(description="Merge the selected duplicate into another service…",
                  permissions=["change"])  # fmt: skip
    def merge_into(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one duplicate to merge.", messages.ERROR)
            return None
        source = queryset.get()
        targets = Service.objects.active().filter(category=source.category).exclude(pk=source.pk)
        if target_id := request.POST.get("target"):
            target = targets.filter(pk=target_id).first() if target_id.isdigit() else None
            if target is None:
                self.message_user(request, "Choose a target in the same category.", messages.ERROR)
                return None
            try:
                moved = merge_services(source, target, request.user)
            except MergeError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(
                request,
                f"{source} merged into {target}: {counted(moved['reports'], 'report')} moved.",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {source} into another service",
            "source": source,
            "targets": targets,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/reports/service/merge.html", context)
