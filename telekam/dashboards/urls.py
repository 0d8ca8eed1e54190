from django.urls import path

from telekam.dashboards import report_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kpi/<str:kpi>/", views.drill, name="drill"),
    path("targets/", views.target_list, name="targets"),
    path("report/", report_views.report, name="report"),
    path("reports/<str:name>", report_views.stored, name="stored_report"),
]
