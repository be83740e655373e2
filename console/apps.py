from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    """The operators' side: admin classes, quarantine, merge, roles, audit, the bursts explorer.

    It sits on top of `reports` and `analytics`; neither imports it. It has no models of its own:
    the rows it writes (quarantines, audit entries) are evidence kept beside the reports."""

    name = "console"
    verbose_name = "Operators' console"

    def ready(self) -> None:
        from console.roles import ensure_roles

        # After every migrate (permissions are created by then), keep the operator roles in step.
        post_migrate.connect(ensure_roles, dispatch_uid="tremor-roles")
