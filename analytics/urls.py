from django.urls import path
from django.views.generic import TemplateView

from analytics import views

urlpatterns = [
    path("", views.home, name="home"),
    path("services/<slug:slug>/", views.service_detail, name="service-detail"),
    path("search/", views.search, name="search"),
    path("groups/<slug:slug>/", views.group_detail, name="group-detail"),
    path("categories/<slug:slug>/", views.category_detail, name="category-detail"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("about/", TemplateView.as_view(template_name="about.html"), name="about"),
    path("privacy/", views.privacy, name="privacy"),
]
