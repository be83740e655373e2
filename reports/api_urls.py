from django.urls import path

from reports.api import ReportCreateAPI

urlpatterns = [
    path("services/<slug:slug>/reports", ReportCreateAPI.as_view(), name="api-report-create"),
]
