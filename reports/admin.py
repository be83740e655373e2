from django.contrib import admin

from reports.models import Category, Comment, ProblemType, Report, Service, ServiceGroup


class ProblemTypeInline(admin.TabularInline):
    model = ProblemType
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProblemTypeInline]


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "service_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="services")
    def service_count(self, group: ServiceGroup) -> int:
        return group.services.count()


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "group", "category", "is_active"]
    list_filter = ["is_active", "category", "group"]
    list_select_related = ["group", "category"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
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
        "country",
    ]
    list_select_related = ["service", "problem"]
    search_fields = ["service__name", "=reporter_key"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting tens of millions of rows would stall the page
    raw_id_fields = ["service", "problem"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # reports are evidence: append-only, never edited by hand

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "short_body", "is_visible"]
    list_filter = ["is_visible", "service__category"]
    list_select_related = ["service"]
    search_fields = ["body", "service__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["report", "service"]
    actions = ["hide", "show"]

    @admin.display(description="comment")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    @admin.action(description="Hide selected comments")
    def hide(self, request, queryset) -> None:
        self.message_user(request, f"{queryset.update(is_visible=False)} comments hidden.")

    @admin.action(description="Show selected comments")
    def show(self, request, queryset) -> None:
        self.message_user(request, f"{queryset.update(is_visible=True)} comments shown.")
