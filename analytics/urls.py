from django.urls import path

from analytics import views

urlpatterns = [
    path("", views.home, name="home"),
    path("services/<slug:slug>/", views.service_detail, name="service-detail"),
]
