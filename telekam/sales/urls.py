from django.urls import path

from telekam.sales.views import deals, pipeline

app_name = "sales"
urlpatterns = [
    # views/pipeline.py: the pipeline, opportunities, prospects, forecast, win/loss
    path("", pipeline.board, name="board"),
    path("board/move/<int:pk>/", pipeline.board_move, name="board_move"),
    path("opportunities/", pipeline.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", pipeline.opportunity_new, name="opportunity_new"),
    path("opportunities/<int:pk>/", pipeline.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", pipeline.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", pipeline.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/appraisal/", pipeline.appraisal_edit, name="appraisal_edit"),
    path("prospects/", pipeline.prospect_list, name="prospect_list"),
    path("prospects/new/", pipeline.prospect_new, name="prospect_new"),
    path("prospects/<int:pk>/", pipeline.prospect_detail, name="prospect_detail"),
    path("prospects/<int:pk>/convert/", pipeline.prospect_convert, name="prospect_convert"),
    path("forecast/", pipeline.forecast, name="forecast"),
    path("win-loss/", pipeline.win_loss, name="win_loss"),
    # views/deals.py: solutions, quotes, approvals, contracts, projects, catalogue
    path("opportunities/<int:pk>/solutions/new/", deals.solution_new, name="solution_new"),
    path("solutions/<int:pk>/", deals.solution_detail, name="solution_detail"),
    path("solutions/<int:pk>/attachments/", deals.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", deals.attachment_download, name="attachment_download"),
    path("solutions/<int:pk>/quotes/new/", deals.quote_new, name="quote_new"),
    path("quotes/<int:pk>/", deals.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/pdf/", deals.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/<slug:action>/", deals.quote_action, name="quote_action"),
    path("approvals/", deals.approvals, name="approvals"),
    path("contracts/", deals.contract_list, name="contract_list"),
    path("contracts/<int:pk>/", deals.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/<slug:action>/", deals.contract_action, name="contract_action"),
    path("projects/<int:pk>/", deals.project_detail, name="project_detail"),
    path("projects/<int:pk>/plan/", deals.project_plan, name="project_plan"),
    path("tasks/<int:pk>/", deals.task_update, name="task_update"),
    path("catalogue/", deals.catalogue, name="catalogue"),
]
