"""The operators' console: Django's admin with a rate-limited login.

After ADMIN_LOGIN_MAX_FAILURES sign-in attempts from one address (keyed by an HMAC, never the
address) within ADMIN_LOGIN_WINDOW_MINUTES without a success, further attempts get a 429 until the
window passes.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from reports.identity import client_address, reporter_key


class TremorAdminSite(admin.AdminSite):
    site_header = "Tremor operators"
    site_title = "Tremor"
    index_title = "Now"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        """The outage dashboard above the list of what the console holds."""
        # Imported here: this module is loaded with the admin app, before the models are.
        from console.dashboard import outage_dashboard

        context = {
            **(extra_context or {}),
            "dashboard": outage_dashboard(request.user, timezone.now()),
        }
        return super().index(request, context)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        limit = settings.TREMOR["ADMIN_LOGIN_MAX_FAILURES"]
        window = int(
            timedelta(minutes=settings.TREMOR["ADMIN_LOGIN_WINDOW_MINUTES"]).total_seconds()
        )
        key = "admin-login-failures:" + reporter_key(
            client_address(request), "admin-login", timezone.now().date()
        )
        # Each attempt takes its number before its password is checked, with the cache's atomic
        # add and incr: of 24 parallel guesses only the first `limit` are ever checked.
        if attempt_number(key, window) > limit:
            refusal = TemplateResponse(
                request,
                "admin/login_throttled.html",
                {**self.each_context(request), "minutes": window // 60},
                status=429,
            )
            refusal["Retry-After"] = str(window)
            return refusal
        response = super().login(request, extra_context)
        if response.status_code == 302:  # signed in: the attempts so far are forgiven
            cache.delete(key)
        return response


def attempt_number(key: str, window: int) -> int:
    """Count one more sign-in attempt in a window that starts with the first; returns its number."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between the two calls: this attempt opens a new one
        cache.add(key, 0, timeout=window)
        return cache.incr(key)


class TremorAdminConfig(AdminConfig):
    default_site = "console.admin_site.TremorAdminSite"
