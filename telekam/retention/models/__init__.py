"""Churn early warning (domain §7): rules, data runs, warnings, retention cases, risk."""

from telekam.retention.models.rules import (
    CallRuleKind,
    ChurnThreshold,
    CompetitorRule,
    LocalAreaCode,
)
from telekam.retention.models.runs import CancellationOrder, FieldReport, Run, RunKind, RunStatus
from telekam.retention.models.warnings import (
    LOST_OUTCOMES,
    CaseOutcome,
    CaseStatus,
    ChurnReason,
    ChurnWarning,
    RetentionAction,
    RetentionCase,
    RiskScore,
    Severity,
    WarningSource,
    WarningStatus,
)

__all__ = [
    "LOST_OUTCOMES",
    "CallRuleKind",
    "CancellationOrder",
    "CaseOutcome",
    "CaseStatus",
    "ChurnReason",
    "ChurnThreshold",
    "ChurnWarning",
    "CompetitorRule",
    "FieldReport",
    "LocalAreaCode",
    "RetentionAction",
    "RetentionCase",
    "RiskScore",
    "Run",
    "RunKind",
    "RunStatus",
    "Severity",
    "WarningSource",
    "WarningStatus",
]
