"""The two operator roles, as Django groups kept in step with this table after every migrate.

Moderators handle what the crowd sends (comments, reports) and incidents; they can read the
catalogue but not change it, and cannot manage users. Administrators can do everything in the
console. Give a person a role by adding them to the group (and marking them staff).
"""

from django.contrib.auth.models import Group, Permission

MODERATORS = "moderators"
ADMINISTRATORS = "administrators"

MODERATOR_PERMISSIONS = [
    "reports.view_report",
    "reports.view_comment",
    "reports.change_comment",
    "reports.view_blockedpattern",
    "reports.add_blockedpattern",
    "reports.change_blockedpattern",
    "reports.delete_blockedpattern",
    "reports.view_quarantine",
    "reports.add_quarantine",
    "reports.change_quarantine",
    "reports.view_auditentry",
    "reports.view_service",
    "reports.view_servicegroup",
    "reports.view_category",
    "reports.view_problemtype",
    "analytics.view_incident",
    "analytics.change_incident",
    "analytics.view_groupincident",
    "analytics.view_officialupdate",
    "analytics.add_officialupdate",
    "analytics.change_officialupdate",
    "analytics.delete_officialupdate",
    "analytics.view_maintenancewindow",
    "analytics.add_maintenancewindow",
    "analytics.change_maintenancewindow",
    "analytics.delete_maintenancewindow",
]  # buckets, statuses and baselines are the detector's internals: administrators only
ADMINISTRATOR_APPS = ["reports", "analytics", "auth"]


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    return [
        p
        for p in Permission.objects.filter(
            content_type__app_label__in={app for app, _ in wanted}
        ).select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]


def ensure_roles(**kwargs) -> None:
    """Create or update both groups (idempotent; connected to post_migrate)."""
    moderators, _ = Group.objects.get_or_create(name=MODERATORS)
    moderators.permissions.set(_permissions(MODERATOR_PERMISSIONS))
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
    )
