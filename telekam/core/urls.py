from django.urls import path

from telekam.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("calendar/", views.calendar_years, name="calendar"),
]
