from django.urls import path

from telekam.retention.views import analysis, runs, warnings

app_name = "retention"

urlpatterns = [
    path("", warnings.queue, name="queue"),
    path("warnings/<int:pk>/", warnings.detail, name="warning"),
    path("warnings/<int:pk>/acknowledge/", warnings.acknowledge, name="acknowledge"),
    path("warnings/<int:pk>/dismiss/", warnings.dismiss, name="dismiss"),
    path("warnings/<int:pk>/case/", warnings.open_case, name="open_case"),
    path("cases/<int:pk>/plan/", warnings.case_plan, name="case_plan"),
    path("cases/<int:pk>/actions/", warnings.case_action, name="case_action"),
    path("cases/<int:pk>/close/", warnings.case_close, name="case_close"),
    path("accounts/<int:account_pk>/report/", warnings.field_report, name="field_report"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("cancellations/import/", runs.cancellations_import, name="cancellations_import"),
    path("rules/", runs.rules, name="rules"),
    path("analysis/", analysis.dashboard, name="analysis"),
    path("analysis/cases/", analysis.analysis_cases, name="analysis_cases"),
]
