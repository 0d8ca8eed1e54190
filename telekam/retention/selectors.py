"""Reads of the churn part that pages and API share (the analysis figures live in
`analysis.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from telekam.retention import access
from telekam.retention.models import ChurnWarning, RiskScore, Run, WarningStatus

QUEUE_FILTERS = ("open", "overdue", "acknowledged", "closed", "all")


def warning_queue(
    *, user: Any, today: dt.date, state: str = "open", source: str = "", q: str = ""
) -> QuerySet[ChurnWarning]:
    """The warnings `user` may see, most urgent first. `state`: open (not yet closed:
    waiting for acknowledgement or being worked), overdue (not acknowledged by the due
    day), acknowledged, closed, all."""
    qs = access.warnings_visible_to(user).select_related(
        "account", "account__grade", "assignee", "case"
    )
    if state == "open":
        qs = qs.exclude(status=WarningStatus.CLOSED)
    elif state == "overdue":
        qs = qs.filter(status=WarningStatus.OPEN, ack_due__lt=today)
    elif state == "acknowledged":
        qs = qs.filter(status=WarningStatus.ACKNOWLEDGED)
    elif state == "closed":
        qs = qs.filter(status=WarningStatus.CLOSED)
    if source:
        qs = qs.filter(source=source)
    if q.strip():
        qs = qs.filter(Q(account__name__icontains=q.strip()) | Q(account__code=q.strip()))
    # Waiting for acknowledgement first, then being worked, then closed.
    stage = Case(
        When(status=WarningStatus.OPEN, then=Value(0)),
        When(status=WarningStatus.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.order_by(stage, "-severity", "ack_due", "-id")


def account_churn_panel(*, user: Any, account_id: int) -> dict[str, Any] | None:
    """What the account page shows: its risk score and its open warnings (None when the
    user may not see churn information)."""
    if not access.sees_warnings(user):
        return None
    warnings = list(
        access.warnings_visible_to(user)
        .filter(account_id=account_id)
        .exclude(status=WarningStatus.CLOSED)
        .order_by("-severity", "-id")
    )
    risk = RiskScore.objects.filter(account_id=account_id).first()
    return {"risk": risk, "warnings": warnings}


def runs_recent(*, limit: int = 50) -> list[Run]:
    return list(Run.objects.select_related("started_by").order_by("-started_at", "-id")[:limit])
