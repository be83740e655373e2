"""The operators' console: Django's admin with a rate-limited login.

After ADMIN_LOGIN_MAX_FAILURES failed sign-ins from one address (keyed by an HMAC, never the
address) within ADMIN_LOGIN_WINDOW_MINUTES, further attempts get a 429 until the window passes.
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
        limit = settings.TREMOR["ADMIN_LOGIN_MAX_FAILURES"]
        window = timedelta(minutes=settings.TREMOR["ADMIN_LOGIN_WINDOW_MINUTES"])
        key = "admin-login-failures:" + reporter_key(
            client_address(request), "admin-login", timezone.now().date()
        )
        failures = cache.get(key, 0)
        if request.method == "POST" and failures >= limit:
            refusal = TemplateResponse(
                request,
                "admin/login_throttled.html",
                {**self.each_context(request), "minutes": int(window.total_seconds() // 60)},
                status=429,
            )
            refusal["Retry-After"] = str(int(window.total_seconds()))
            return refusal
        response = super().login(request, extra_context)
        if request.method == "POST":
            if response.status_code == 302:  # signed in
                cache.delete(key)
            else:
                cache.set(key, failures + 1, timeout=int(window.total_seconds()))
        return response


class TremorAdminConfig(AdminConfig):
    default_site = "console.admin_site.TremorAdminSite"
