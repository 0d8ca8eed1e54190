from django.urls import path

from telekam.service.views import aftercare, compensation, desk, policies, reports, surveys

app_name = "service"
urlpatterns = [
    path("", desk.queue, name="queue"),
    path("requests/new/", desk.request_new, name="request_new"),
    path("requests/<int:pk>/", desk.request_detail, name="request_detail"),
    path("requests/<int:pk>/status/", desk.request_status, name="request_status"),
    path("requests/<int:pk>/assign/", desk.request_assign, name="request_assign"),
    path("requests/<int:pk>/note/", desk.request_note, name="request_note"),
    path("orders/new/", desk.order_new, name="order_new"),
    path("orders/<int:pk>/activate/", desk.order_activate, name="order_activate"),
    path("orders/<int:pk>/cancel/", desk.order_cancel, name="order_cancel"),
    path("faults/new/", desk.fault_new, name="fault_new"),
    path("faults/<int:pk>/<slug:action>/", desk.fault_action, name="fault_action"),
    path("compensation/", compensation.form_list, name="compensation_list"),
    path("compensation/<int:pk>/", compensation.form_detail, name="compensation_detail"),
    path("compensation/<int:pk>/pdf/", compensation.form_pdf, name="compensation_pdf"),
    path("compensation/<int:pk>/scan/", compensation.form_scan, name="compensation_scan"),
    path(
        "compensation/<int:pk>/<slug:action>/",
        compensation.form_action,
        name="compensation_action",
    ),
    path("policies/", policies.policies, name="policies"),
    path("policies/<slug:kind>/<int:pk>/", policies.policy_edit, name="policy_edit"),
    path("report/<int:account_pk>/", reports.sla_report, name="sla_report"),
    path("report/<int:account_pk>/pdf/", reports.sla_report_pdf, name="sla_report_pdf"),
    path("report/<int:account_pk>/xlsx/", reports.sla_report_xlsx, name="sla_report_xlsx"),
    # --- delivery, callbacks, follow-ups (views/aftercare.py) ---
    path("deliveries/", aftercare.delivery_list, name="delivery_list"),
    path("deliveries/<int:pk>/", aftercare.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/pdf/", aftercare.delivery_pdf, name="delivery_pdf"),
    path(
        "deliveries/<int:pk>/<slug:action>/",
        aftercare.delivery_action,
        name="delivery_action",
    ),
    path("callbacks/", aftercare.callback_queue, name="callback_queue"),
    path("callbacks/<int:pk>/", aftercare.callback_detail, name="callback_detail"),
    path("follow-ups/", aftercare.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/", aftercare.follow_up_detail, name="follow_up_detail"),
    # --- satisfaction surveys (views/surveys.py) ---
    path("surveys/", surveys.surveys, name="surveys"),
]
