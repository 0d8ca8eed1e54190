"""JSON API of churn early warning (domain §7): the warning queue and a warning with its
evidence and case, acknowledging, dismissing, opening and working a retention case, field
intelligence, the data runs, an account's risk, and the churn analysis.

Who sees what is `telekam.retention.access`: the service desk and operations do not see
warnings, cases, runs or risk (403) but may file field intelligence on an account they
see; a warning or case outside the user's accounts is a 404, the same as a missing one.
Writes go through `telekam.retention.services`, which check the right to act (403), the
step (400) and the version read (409). The analysis is for the head, the analysts, the
administrator and a group lead (its group).

Every schema name starts with `Retention` (ninja merges schemas of the same class name).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from telekam.accounts.api.common import UserRef
from telekam.core import clock
from telekam.core.api import (
    Id,
    InputSchema,
    Page,
    PageQuery,
    actor,
    id_path,
    paginate,
    version_field,
)
from telekam.core.errors import NotFound, PermissionDenied
from telekam.org.models import User
from telekam.retention import access, analysis, selectors, services
from telekam.retention.models import (
    ChurnWarning,
    RetentionAction,
    RetentionCase,
    Run,
    WarningSource,
)
from telekam.sales.api.common import SalesMoney
from telekam.service.api.common import AccountIdRef, Day, invalid, visible_account_by_id

router = Router(tags=["retention"])

MAX_QUERY_TEXT = 100
MAX_NOTE = 2000
MAX_PLAN = 5000
RUNS_SHOWN = 50


def retention_user(request: Any) -> User:
    """The caller, if it sees churn warnings at all (not the service desk or operations)."""
    user = actor(request)
    if not access.sees_warnings(user):
        raise PermissionDenied(_("您的角色不查看流失预警。"))
    return user


def _warnings(user: User) -> QuerySet[ChurnWarning]:
    return access.warnings_visible_to(user).select_related("account", "assignee", "case")


def _warning(user: User, warning_id: int) -> ChurnWarning:
    warning = _warnings(user).filter(pk=warning_id).first()
    if warning is None:
        raise NotFound(_("找不到该预警，或您无权查看。"))
    return warning


def _cases(user: User) -> QuerySet[RetentionCase]:
    return (
        access.cases_visible_to(user)
        .select_related("account", "owner")
        .prefetch_related(
            Prefetch("actions", queryset=RetentionAction.objects.select_related("author"))
        )
    )


def _case(user: User, case_id: int) -> RetentionCase:
    case = _cases(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("找不到该挽留案例，或您无权查看。"))
    return case


# --- schemas --------------------------------------------------------------------------

RetentionState = Literal["open", "overdue", "acknowledged", "closed", "all"]
RetentionSource = Literal["calls", "spend", "cancellation", "field"]
RetentionOutcome = Literal["retained", "partly_lost", "lost"]
RetentionReason = Literal[
    "competitor_ld",
    "competitor_data",
    "business_trouble",
    "price",
    "service_quality",
    "relocation",
    "other",
]
# Mirrors of the model choices (telekam/retention/tests/test_api.py keeps them equal).
RetentionCompetitor = Literal["china_unicom", "china_mobile", "china_broadnet", "other"]


class RetentionActionOut(Schema):
    id: int
    done_on: dt.date
    text: str
    author: UserRef
    created_at: dt.datetime


class RetentionCaseOut(Schema):
    id: int
    account: AccountIdRef
    owner: UserRef
    status: str
    opened_on: dt.date
    plan: str
    outcome: str
    reason: str
    competitor: str
    monthly_revenue_lost: Decimal
    closed_on: dt.date | None
    close_note: str
    actions: list[RetentionActionOut]
    version: int

    @staticmethod
    def resolve_actions(obj: RetentionCase) -> list[RetentionAction]:
        return list(obj.actions.all())


class RetentionWarningOut(Schema):
    id: int
    account: AccountIdRef
    source: str
    source_label: str
    severity: int
    status: str
    competitor: str
    raised_on: dt.date
    evidence_on: dt.date
    assignee: UserRef
    ack_due: dt.date
    overdue: bool = Field(..., description="Waiting for acknowledgement after its due day")
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_note: str
    case_id: int | None
    version: int

    @staticmethod
    def resolve_source_label(obj: ChurnWarning) -> str:
        return str(obj.get_source_display())

    @staticmethod
    def resolve_overdue(obj: ChurnWarning) -> bool:
        return obj.status == "open" and obj.ack_due < clock.today()


class RetentionWarningDetailOut(RetentionWarningOut):
    evidence: dict[str, Any]
    case: RetentionCaseOut | None


class RetentionQueueQuery(PageQuery):
    state: RetentionState = "open"
    source: RetentionSource | None = None
    q: str = Field("", max_length=MAX_QUERY_TEXT, description="Account name or code")


class RetentionVersionIn(InputSchema):
    version: int = version_field()


class RetentionDismissIn(InputSchema):
    note: str = Field(..., min_length=1, max_length=MAX_NOTE, description="Why no case is needed")
    version: int = version_field()


class RetentionPlanIn(InputSchema):
    plan: str = Field(..., min_length=1, max_length=MAX_PLAN)
    version: int = version_field()


class RetentionActionIn(InputSchema):
    done_on: Day = Field(..., description="Between the case's opening and today")
    text: str = Field(..., min_length=1, max_length=MAX_NOTE)


class RetentionCloseIn(InputSchema):
    outcome: RetentionOutcome
    reason: RetentionReason | None = Field(None, description="Required when lost or partly lost")
    competitor: RetentionCompetitor | None = Field(
        None, description="Required when lost to a competitor (long distance or data)"
    )
    monthly_revenue_lost: SalesMoney = Field(
        Decimal("0.00"), description="Required (above zero) when lost or partly lost"
    )
    note: str = Field("", max_length=MAX_NOTE)
    closed_on: Day | None = Field(None, description="Default: today")
    version: int = version_field()


class RetentionFieldReportIn(InputSchema):
    account_id: Id
    text: str = Field(..., min_length=1, max_length=MAX_NOTE)
    heard_on: Day = Field(..., description="Not after today")
    competitor: RetentionCompetitor | None = None


class RetentionFieldReportOut(Schema):
    id: int
    account: AccountIdRef
    competitor: str
    heard_on: dt.date
    text: str
    reported_by: UserRef
    created_at: dt.datetime
    warning_id: int | None = Field(..., description="The field-intelligence warning it joined")


class RetentionRunOut(Schema):
    id: int
    kind: str
    status: str
    source: str
    engine: str
    day_from: dt.date | None
    day_to: dt.date | None
    files: int
    rows_in: int
    rows_ok: int
    rows_bad: int
    progress: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    started_by: UserRef | None
    error: str


class RetentionRunDetailOut(RetentionRunOut):
    report: dict[str, Any]


class RetentionRiskOut(Schema):
    account: AccountIdRef
    score: Decimal | None = Field(..., description="0–1 from the last trained model")
    reasons: list[dict[str, Any]] = Field(..., description="Strongest first")
    scored_at: dt.datetime | None
    warnings: list[RetentionWarningOut] = Field(..., description="Not yet closed")


class RetentionPeriodOut(Schema):
    kind: str
    key: str
    label: str
    start: dt.date
    end: dt.date
    base_month: dt.date = Field(..., description="Its bill is the revenue base")


class RetentionRateOut(Schema):
    period: RetentionPeriodOut
    base_accounts: int
    lost_accounts: int
    count_rate: Decimal | None = Field(..., description="%: lost accounts / base accounts")
    base_revenue: Decimal
    revenue_source: str = Field(..., description="billing or avg_spend")
    lost_revenue: Decimal
    revenue_rate: Decimal | None = Field(..., description="%: lost revenue / base revenue")


class RetentionReasonOut(Schema):
    reason: str
    label: str
    cases: int
    accounts: int
    lost_revenue: Decimal
    share: Decimal | None = Field(..., description="% of all lost revenue")
    revenue_rate: Decimal | None = Field(..., description="% of the base revenue")
    reference_share: Decimal | None


class RetentionSegmentOut(Schema):
    key: str
    label: str
    base_accounts: int
    lost_accounts: int
    count_rate: Decimal | None
    base_revenue: Decimal
    lost_revenue: Decimal
    revenue_rate: Decimal | None
    share: Decimal | None
    reference_share: Decimal | None


class RetentionHitOut(Schema):
    source: str
    label: str
    warned_accounts: int
    hit_rate: Decimal | None
    median_days: Decimal | None
    mean_days: Decimal | None


class RetentionWorkloadOut(Schema):
    source: str
    label: str
    open: int
    overdue: int
    acknowledged: int


class RetentionAnalysisOut(Schema):
    period: RetentionPeriodOut
    rate: RetentionRateOut
    by_reason: list[RetentionReasonOut]
    by_industry: list[RetentionSegmentOut]
    by_grade: list[RetentionSegmentOut]
    trend: list[RetentionRateOut]
    hit_rate: RetentionHitOut
    hit_rate_by_source: list[RetentionHitOut]
    lost_accounts: int
    workload: list[RetentionWorkloadOut]
    workload_total: RetentionWorkloadOut


class RetentionAnalysisQuery(Schema):
    period: str = Field(
        "",
        max_length=10,
        description="2026-11, 2026-Q4, 2026, or month / quarter / year (the current one); "
        "default: this quarter",
    )


# --- warnings -------------------------------------------------------------------------


@router.get("/retention/warnings", response=Page[RetentionWarningOut])
def warning_list(request: Any, query: Query[RetentionQueueQuery]) -> dict[str, Any]:
    """The warnings of the user's accounts (an AM its own, a group lead its group, the
    head and analysts all), most urgent first. `state`: open (not closed), overdue (not
    acknowledged by the due day), acknowledged, closed, all."""
    user = retention_user(request)
    rows = selectors.warning_queue(
        user=user, today=clock.today(), state=query.state, source=query.source or "", q=query.q
    )
    return paginate(rows, query)


@router.get("/retention/warnings/{warning_id}", response=RetentionWarningDetailOut)
def warning_detail(request: Any, warning_id: int = id_path()) -> ChurnWarning:
    """A warning with its evidence and its retention case (with the actions)."""
    user = retention_user(request)
    warning = _warning(user, warning_id)
    if warning.case_id is not None:
        warning.case = _case(user, warning.case_id)
    return warning


@router.post("/retention/warnings/{warning_id}/acknowledge", response=RetentionWarningDetailOut)
def warning_acknowledge(
    request: Any, payload: RetentionVersionIn, warning_id: int = id_path()
) -> ChurnWarning:
    """The AM (or its group lead, the head) has seen it and is on it."""
    user = retention_user(request)
    services.warning_acknowledge(
        actor=user, warning=_warning(user, warning_id), expected_version=payload.version
    )
    return warning_detail(request, warning_id)


@router.post("/retention/warnings/{warning_id}/dismiss", response=RetentionWarningDetailOut)
def warning_dismiss(
    request: Any, payload: RetentionDismissIn, warning_id: int = id_path()
) -> ChurnWarning:
    """Close a false alarm (a warning without a case), with the reason."""
    user = retention_user(request)
    services.warning_dismiss(
        actor=user,
        warning=_warning(user, warning_id),
        note=payload.note,
        expected_version=payload.version,
    )
    return warning_detail(request, warning_id)


@router.post("/retention/warnings/{warning_id}/case", response={201: RetentionCaseOut})
def case_open(request: Any, payload: RetentionPlanIn, warning_id: int = id_path()) -> Any:
    """Open a retention case with its plan from the warning (or join the account's open
    case); the warning counts as acknowledged. `version` is the warning's."""
    user = retention_user(request)
    case = services.case_open(
        actor=user,
        warning=_warning(user, warning_id),
        plan=payload.plan,
        expected_version=payload.version,
    )
    return _case(user, case.pk)


# --- cases ----------------------------------------------------------------------------


@router.post("/retention/cases/{case_id}/plan", response=RetentionCaseOut)
def case_plan(request: Any, payload: RetentionPlanIn, case_id: int = id_path()) -> RetentionCase:
    user = retention_user(request)
    services.case_plan_update(
        actor=user, case=_case(user, case_id), plan=payload.plan, expected_version=payload.version
    )
    return _case(user, case_id)


@router.post("/retention/cases/{case_id}/actions", response={201: RetentionActionOut})
def case_action(request: Any, payload: RetentionActionIn, case_id: int = id_path()) -> Any:
    """Record one thing done under the case (a visit, an offer, an escalation...)."""
    user = retention_user(request)
    action = services.case_action_add(
        actor=user, case=_case(user, case_id), done_on=payload.done_on, text=payload.text
    )
    return action


@router.post("/retention/cases/{case_id}/close", response=RetentionCaseOut)
def case_close(request: Any, payload: RetentionCloseIn, case_id: int = id_path()) -> RetentionCase:
    """Close as retained, partly lost or lost (the last two need the reason and the monthly
    revenue lost, and the competitor when lost to one); its warnings close with it."""
    user = retention_user(request)
    services.case_close(
        actor=user,
        case=_case(user, case_id),
        outcome=payload.outcome,
        reason=payload.reason or "",
        competitor=payload.competitor or "",
        monthly_revenue_lost=payload.monthly_revenue_lost,
        note=payload.note,
        closed_on=payload.closed_on,
        expected_version=payload.version,
    )
    return _case(user, case_id)


# --- field intelligence ---------------------------------------------------------------


@router.post("/retention/field-reports", response={201: RetentionFieldReportOut})
def field_report(request: Any, payload: RetentionFieldReportIn) -> Any:
    """What an AM or agent heard about an account it sees ("they are talking to Unicom"):
    it raises or adds to the account's field-intelligence warning. Anyone who sees the
    account may report, the service desk included."""
    user = actor(request)
    account = visible_account_by_id(request, payload.account_id, field="account_id")
    report = services.field_report_create(
        actor=user,
        account=account,
        text=payload.text,
        heard_on=payload.heard_on,
        competitor=payload.competitor or "",
    )
    warning_id = (
        ChurnWarning.objects.filter(account=account, source=WarningSource.FIELD)
        .exclude(status="closed")
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "id": report.pk,
        "account": account,
        "competitor": report.competitor,
        "heard_on": report.heard_on,
        "text": report.text,
        "reported_by": user,
        "created_at": report.created_at,
        "warning_id": warning_id if access.sees_warnings(user) else None,
    }


# --- runs -----------------------------------------------------------------------------


@router.get("/retention/runs", response=list[RetentionRunOut])
def run_list(request: Any) -> list[Run]:
    """The last 50 ingest and signal runs, newest first."""
    retention_user(request)
    return selectors.runs_recent(limit=RUNS_SHOWN)


@router.get("/retention/runs/{run_id}", response=RetentionRunDetailOut)
def run_detail(request: Any, run_id: int = id_path()) -> Run:
    """A run with its progress and report."""
    retention_user(request)
    run = Run.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("找不到该作业。"))
    return run


# --- risk -----------------------------------------------------------------------------


@router.get("/retention/accounts/{account_id}/risk", response=RetentionRiskOut)
def account_risk(request: Any, account_id: int = id_path()) -> dict[str, Any]:
    """An account's churn risk score with its reasons, and its open warnings."""
    user = retention_user(request)
    from telekam.accounts import selectors as account_selectors

    account = account_selectors.account_get_visible(user=user, pk=account_id)
    panel = selectors.account_churn_panel(user=user, account_id=account.pk) or {}
    risk = panel.get("risk")
    warnings = panel.get("warnings") or []
    for warning in warnings:  # the panel reads them without their account: it is this one
        warning.account = account
    return {
        "account": account,
        "score": risk.score if risk else None,
        "reasons": list(risk.reasons) if risk else [],
        "scored_at": risk.scored_at if risk else None,
        "warnings": _with_assignees(warnings),
    }


def _with_assignees(warnings: list[ChurnWarning]) -> list[ChurnWarning]:
    ids = {w.assignee_id for w in warnings}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)} if ids else {}
    for warning in warnings:
        warning.assignee = users[warning.assignee_id]
    return warnings


# --- analysis -------------------------------------------------------------------------


def _period_out(period: analysis.Period) -> dict[str, Any]:
    return {
        "kind": period.kind,
        "key": period.key,
        "label": period.label,
        "start": period.start,
        "end": period.end,
        "base_month": period.base_month,
    }


def _rate_out(rate: analysis.ChurnRate) -> dict[str, Any]:
    return {**rate.__dict__, "period": _period_out(rate.period)}


@router.get("/retention/analysis", response=RetentionAnalysisOut)
def churn_analysis(request: Any, query: Query[RetentionAnalysisQuery]) -> dict[str, Any]:
    """Churn of key accounts for a month, quarter or year: rate by count and by revenue,
    by reason, industry and grade, the trend (12 months, 8 quarters or 5 years), the share
    of losses a warning came before and how early, and today's warning workload. The
    head, analysts and administrator see the department, a group lead its group."""
    user = actor(request)
    if not access.can_see_analysis(user):
        raise PermissionDenied(_("只有部门经理、分析员、管理员和行业组长可以查看流失分析。"))
    today = clock.today()
    try:
        period = analysis.parse_period(query.period, today=today)
    except ValueError:
        raise invalid(
            "period", _("期间格式为 2026-11、2026-Q4 或 2026，且不能晚于本期。")
        ) from None
    data = analysis.churn_analysis(user=user, period=period, today=today)
    return {
        "period": _period_out(period),
        "rate": _rate_out(data.rate),
        "by_reason": data.by_reason.rows,
        "by_industry": data.by_industry.rows,
        "by_grade": data.by_grade.rows,
        "trend": [_rate_out(p) for p in data.trend.points],
        "hit_rate": data.hit_rate.overall,
        "hit_rate_by_source": data.hit_rate.by_source,
        "lost_accounts": data.hit_rate.lost_accounts,
        "workload": data.workload.rows,
        "workload_total": data.workload.total,
    }
