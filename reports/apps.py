from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports and catalogue"

    def ready(self) -> None:
        from reports.catalog import forget_cached_catalog
        from reports.models import BlockedPattern, Category, ProblemType, Service
        from reports.moderation import forget_blocklist

        # Per-process caches of rows moderators and administrators edit: dropped on a change.
        for model in (Service, ProblemType, Category):
            post_save.connect(forget_cached_catalog, sender=model, dispatch_uid=f"catalog-{model}")
            post_delete.connect(
                forget_cached_catalog, sender=model, dispatch_uid=f"catalog-d{model}"
            )
        post_save.connect(forget_blocklist, sender=BlockedPattern, dispatch_uid="blocklist-save")
        post_delete.connect(forget_blocklist, sender=BlockedPattern, dispatch_uid="blocklist-del")
