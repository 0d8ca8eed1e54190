from django.urls import path

from telekam.engagement import views

app_name = "engagement"

urlpatterns = [
    path("", views.week, name="week"),
    path("week.ics", views.ical, name="ical"),
    path("plans/<int:pk>/move/", views.plan_move, name="plan_move"),
    path("log/", views.log, name="log"),
    path("logs/<int:pk>/opportunity/", views.log_to_opportunity, name="log_to_opportunity"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/accounts/", views.compliance_accounts, name="compliance_accounts"),
    path("staffing/", views.staffing, name="staffing"),
]
