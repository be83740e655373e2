from django.urls import path

from reports.views import report_form_state, submit_report_form

urlpatterns = [
    path("services/<slug:slug>/report", submit_report_form, name="report-submit"),
    path("report-form/state", report_form_state, name="report-form-state"),
]
