from django.urls import path

from analytics import api

urlpatterns = [
    path("services", api.ServiceListAPI.as_view(), name="api-service-list"),
    path("services/<slug:slug>", api.ServiceDetailAPI.as_view(), name="api-service-detail"),
    path("services/<slug:slug>/series", api.ServiceSeriesAPI.as_view(), name="api-service-series"),
    path("groups", api.GroupListAPI.as_view(), name="api-group-list"),
    path("groups/<slug:slug>", api.GroupDetailAPI.as_view(), name="api-group-detail"),
    path("incidents", api.IncidentListAPI.as_view(), name="api-incident-list"),
    path("incidents/<int:pk>", api.IncidentDetailAPI.as_view(), name="api-incident-detail"),
]
