from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz, readyz
from config.metrics import metrics

handler404 = "config.bad_requests.not_found"  # JSON under /api/

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
