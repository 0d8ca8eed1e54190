"""Writes of the churn part. Import from here."""

from telekam.retention.risk.train import risk_model_train
from telekam.retention.services.calls import call_signals_run, calls_ingest, evaluate_calls
from telekam.retention.services.intake import (
    CancellationImportInvalid,
    cancellations_import,
    field_report_create,
)
from telekam.retention.services.rules import (
    churn_threshold_create,
    churn_threshold_delete,
    churn_threshold_update,
    competitor_rule_create,
    competitor_rule_update,
    local_area_code_create,
    local_area_code_delete,
)
from telekam.retention.services.spend import evaluate_spend, spend_signals_run
from telekam.retention.services.warnings import (
    case_action_add,
    case_close,
    case_open,
    case_plan_update,
    warning_acknowledge,
    warning_dismiss,
    warning_raise,
)

__all__ = [
    "CancellationImportInvalid",
    "call_signals_run",
    "calls_ingest",
    "cancellations_import",
    "case_action_add",
    "case_close",
    "case_open",
    "case_plan_update",
    "churn_threshold_create",
    "churn_threshold_delete",
    "churn_threshold_update",
    "competitor_rule_create",
    "competitor_rule_update",
    "evaluate_calls",
    "evaluate_spend",
    "field_report_create",
    "local_area_code_create",
    "local_area_code_delete",
    "risk_model_train",
    "spend_signals_run",
    "warning_acknowledge",
    "warning_dismiss",
    "warning_raise",
]
