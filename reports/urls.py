from django.urls import path

from reports.views import submit_report_form

urlpatterns = [
    path("services/<slug:slug>/report", submit_report_form, name="report-submit"),
]
