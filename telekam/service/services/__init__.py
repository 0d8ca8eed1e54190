"""Writes of the service desk. Every function checks the actor's right to take the step
(telekam.service.access), runs in one transaction and records the account's timeline."""

from telekam.service.services.aftercare import (
    callback_event_add,
    callback_record,
    delivery_confirm,
    delivery_mark_delivered,
    delivery_open,
    follow_up_close,
)
from telekam.service.services.faults import (
    fault_pause,
    fault_priority,
    fault_report,
    fault_respond,
    fault_restore,
    fault_resume,
)
from telekam.service.services.orders import (
    compensation_confirm,
    compensation_draft,
    compensation_settle,
    compensation_sign,
    compensation_void,
    order_accept,
    order_activate,
    order_cancel,
)
from telekam.service.services.policies import fault_policy_update, provisioning_policy_update
from telekam.service.services.requests import (
    request_assign,
    request_note,
    request_open,
    request_transition,
)
from telekam.service.services.surveys import survey_import, survey_template_csv

__all__ = [
    "callback_event_add",
    "callback_record",
    "compensation_confirm",
    "compensation_draft",
    "compensation_settle",
    "compensation_sign",
    "compensation_void",
    "delivery_confirm",
    "delivery_mark_delivered",
    "delivery_open",
    "fault_pause",
    "fault_policy_update",
    "fault_priority",
    "fault_report",
    "fault_respond",
    "fault_restore",
    "fault_resume",
    "follow_up_close",
    "order_accept",
    "order_activate",
    "order_cancel",
    "provisioning_policy_update",
    "request_assign",
    "request_note",
    "request_open",
    "request_transition",
    "survey_import",
    "survey_template_csv",
]
