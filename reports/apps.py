from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports and catalogue"

    def ready(self) -> None:
        from reports.catalog import forget_cached_catalog
        from reports.models import Category, ProblemType, Service
        from reports.roles import ensure_roles

        # After every migrate (permissions are created by then), keep the operator roles in step.
        post_migrate.connect(ensure_roles, dispatch_uid="tremor-roles")

        for model in (Service, ProblemType, Category):
            post_save.connect(forget_cached_catalog, sender=model, dispatch_uid=f"catalog-{model}")
            post_delete.connect(
                forget_cached_catalog, sender=model, dispatch_uid=f"catalog-d{model}"
            )
