from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz, readyz
from config.metrics import metrics

# Each is JSON under /api/ and a page of the site elsewhere.
handler400 = "config.error_pages.bad_request"
handler403 = "config.error_pages.permission_denied"
handler404 = "analytics.not_found.not_found"
handler500 = "config.error_pages.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Not for the public: compose's proxy refuses it; Prometheus scrapes web:8000 directly.
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("reports.api_urls")),
    path("api/v1/", include("analytics.api_urls")),
    path("", include("reports.urls")),
    path("", include("analytics.urls")),
]
