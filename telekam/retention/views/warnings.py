"""The warning pages: the queue of each role, the warning with its evidence and its
retention case, and the field-intelligence form every account viewer may file."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from telekam.accounts.models import Account, Competitor
from telekam.accounts.selectors import account_get_visible
from telekam.core import clock
from telekam.core.errors import NotFound
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.retention import access, selectors, services
from telekam.retention.forms import (
    ActionForm,
    CloseForm,
    DismissForm,
    FieldReportForm,
    PlanForm,
    QueueFilterForm,
    VersionForm,
)
from telekam.retention.models import (
    CaseStatus,
    ChurnWarning,
    RetentionCase,
    WarningSource,
    WarningStatus,
)

# What the risk model's features mean, for the reasons shown next to a score.
FEATURE_LABELS = {
    "industry": gettext_lazy("行业"),
    "grade_rank": gettext_lazy("客户等级"),
    "spend_recent": gettext_lazy("近期消费"),
    "spend_trend": gettext_lazy("消费趋势"),
    "tenure_days": gettext_lazy("在网时长"),
    "faults_180d": gettext_lazy("近半年故障次数"),
    "sla_breaches_180d": gettext_lazy("近半年 SLA 超时次数"),
    "dissatisfied_callbacks_180d": gettext_lazy("近半年回访不满意次数"),
    "days_since_contact": gettext_lazy("距上次拜访天数"),
    "days_to_contract_end": gettext_lazy("距合同到期天数"),
    "open_warnings": gettext_lazy("未关闭预警数"),
    "competitor_share": gettext_lazy("竞争对手长途占比"),
    "ld_change": gettext_lazy("长途话务量变化"),
}
RULE_LABELS = {
    "competitor_share": gettext_lazy("竞争对手长途占比上升"),
    "own_ld_drop": gettext_lazy("本网长途分钟下降"),
}


def section_context(user: Any) -> dict[str, Any]:
    """What every page of the churn part shares (its sub-navigation)."""
    return {
        "section": "warnings",
        "can_run_jobs": access.can_run_jobs(user),
        "can_see_analysis": access.can_see_analysis(user),
    }


def _sees(user: Any) -> None:
    if not access.sees_warnings(user):
        raise DjangoPermissionDenied


# --- the queue -----------------------------------------------------------------------------


@login_required
def queue(request: AuthedHttpRequest) -> HttpResponse:
    """The warnings of the user's accounts, most urgent first."""
    _sees(request.user)
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or "open"
    source = data.get("source") or ""
    q = data.get("q") or ""
    today = clock.today()
    qs = selectors.warning_queue(user=request.user, today=today, state=state, source=source, q=q)
    page = Paginator(qs, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "retention/queue.html",
        {
            **section_context(request.user),
            "form": form,
            "state": state,
            "source": source,
            "q": q,
            "states": form.fields["state"].choices,  # type: ignore[attr-defined]
            "sources": WarningSource.choices,
            "page_obj": page,
            "warnings": page.object_list,
            "today": today,
        },
    )


# --- the warning page ----------------------------------------------------------------------


def _warning(request: AuthedHttpRequest, pk: int) -> ChurnWarning:
    _sees(request.user)
    warning = (
        access.warnings_visible_to(request.user)
        .select_related("account", "account__grade", "account__owner", "assignee", "case")
        .filter(pk=pk)
        .first()
    )
    if warning is None:
        raise Http404
    return warning


def _case(request: AuthedHttpRequest, pk: int) -> RetentionCase:
    _sees(request.user)
    case = (
        access.cases_visible_to(request.user)
        .select_related("account", "owner")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _num(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def calls_chart(evidence: dict[str, Any]) -> dict[str, Any]:
    """Own against competitor long-distance minutes per week, as SVG bars (viewBox 480x170)."""
    series = evidence.get("series") or []
    weeks: list[dict[str, Any]] = []
    for point in series:
        total = _num(point.get("ld_minutes"))
        competitor = _num(point.get("competitor_minutes"))
        weeks.append(
            {
                "week_end": str(point.get("week_end", ""))[5:10],
                "own": round(max(total - competitor, 0.0), 1),
                "competitor": round(competitor, 1),
            }
        )
    peak = max([max(w["own"], w["competitor"]) for w in weeks] or [0]) or 1.0
    slot = 480 / max(len(weeks), 1)
    bars = []
    for i, w in enumerate(weeks):
        own_h = round(w["own"] / peak * 120, 1)
        comp_h = round(w["competitor"] / peak * 120, 1)
        x = round(i * slot + slot / 2 - 17, 1)
        bars.append(
            {
                **w,
                "own_x": x,
                "own_y": round(135 - own_h, 1),
                "own_h": own_h,
                "comp_x": round(x + 18, 1),
                "comp_y": round(135 - comp_h, 1),
                "comp_h": comp_h,
                "label_x": round(i * slot + slot / 2, 1),
                "last": i == len(weeks) - 1,
            }
        )
    return {"bars": bars, "peak": peak}


def spend_chart(evidence: dict[str, Any]) -> dict[str, Any]:
    """The account's monthly spend (all products) as SVG bars, the baseline as a line."""
    series = evidence.get("series") or []
    values = [_num(p.get("yuan")) for p in series]
    baseline = _num(evidence.get("baseline_total_yuan"))
    peak = max([*values, baseline]) or 1.0
    slot = 480 / max(len(series), 1)
    bars = []
    for i, (point, value) in enumerate(zip(series, values, strict=True)):
        h = round(max(value, 0.0) / peak * 120, 1)
        bars.append(
            {
                "month": point.get("month", ""),
                "yuan": Decimal(str(value)),
                "x": round(i * slot + slot / 2 - 18, 1),
                "y": round(135 - h, 1),
                "h": h,
                "label_x": round(i * slot + slot / 2, 1),
                "last": i == len(series) - 1,
            }
        )
    return {"bars": bars, "baseline_y": round(135 - baseline / peak * 120, 1)}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def evidence_context(warning: ChurnWarning) -> dict[str, Any]:
    """What the page shows of the evidence, by source (see services.warnings for keys)."""
    ev = warning.evidence or {}
    competitors = dict(Competitor.choices)
    if warning.source == WarningSource.CALLS:
        t = ev.get("thresholds") or {}
        rules = ev.get("rules") or []
        share, base_share = _num(ev.get("share_pct")), _num(ev.get("baseline_share_pct"))
        sentences = []
        if "competitor_share" in rules:
            sentences.append(
                _(
                    "近 7 天经竞争对手的长途分钟占全部长途的 %(share).1f%%（阈值 %(limit).1f%%），"
                    "比此前 4 周基线 %(base).1f%% 上升 %(rise).1f 个百分点（阈值 %(rise_limit).1f）。"
                )
                % {
                    "share": share,
                    "limit": _num(t.get("competitor_share_pct")),
                    "base": base_share,
                    "rise": share - base_share,
                    "rise_limit": _num(t.get("share_rise_points")),
                }
            )
        if "own_ld_drop" in rules:
            sentences.append(
                _("近 7 天经本网的长途分钟比此前 4 周周均下降 %(drop).1f%%（阈值 %(limit).1f%%）。")
                % {"drop": _num(ev.get("own_drop_pct")), "limit": _num(t.get("ld_drop_pct"))}
            )
        ld, comp = _num(ev.get("ld_minutes")), _num(ev.get("competitor_minutes"))
        return {
            "calls": ev,
            "rule_labels": [RULE_LABELS.get(r, r) for r in rules],
            "sentences": sentences,
            "own_minutes": round(ld - comp, 1),
            "chart": calls_chart(ev),
        }
    if warning.source == WarningSource.SPEND:
        return {
            "spend": ev,
            "products": [
                {
                    **p,
                    "month_yuan": _decimal(p.get("month_yuan")),
                    "baseline_yuan": _decimal(p.get("baseline_yuan")),
                }
                for p in ev.get("products") or []
            ],
            "total_yuan": _decimal(ev.get("total_yuan")),
            "baseline_total_yuan": _decimal(ev.get("baseline_total_yuan")),
            "chart": spend_chart(ev),
        }
    if warning.source == WarningSource.CANCELLATION:
        return {
            "cancellation": ev,
            "orders": [
                {**o, "monthly_fee": _decimal(o.get("monthly_fee"))} for o in ev.get("orders") or []
            ],
            "total_fee": _decimal(ev.get("total_fee")),
            "avg_monthly_spend": _decimal(ev.get("avg_monthly_spend")),
        }
    return {
        "reports": [
            {**r, "competitor_label": competitors.get(r.get("competitor") or "", "")}
            for r in ev.get("reports") or []
        ]
    }


@login_required
def detail(
    request: AuthedHttpRequest, pk: int, forms: dict[str, Any] | None = None
) -> HttpResponse:
    """The warning: why it was raised (evidence per source), what was done, what to do next."""
    warning = _warning(request, pk)
    return _render_detail(request, warning, forms or {})


def _render_detail(
    request: AuthedHttpRequest, warning: ChurnWarning, forms: dict[str, Any], status: int = 200
) -> HttpResponse:
    user = request.user
    today = clock.today()
    can_act = access.can_act(user, warning.account)
    case = warning.case
    ctx: dict[str, Any] = {
        **section_context(user),
        "w": warning,
        "account": warning.account,
        "case": case,
        "can_act": can_act,
        "today": today,
        "overdue": warning.status == WarningStatus.OPEN and warning.ack_due < today,
        "ev": evidence_context(warning),
    }
    v = {"version": warning.version}
    if can_act and warning.status == WarningStatus.OPEN:
        ctx["ack_form"] = forms.get("acknowledge") or VersionForm(initial=v)
    if can_act and warning.status != WarningStatus.CLOSED and case is None:
        ctx["dismiss_form"] = forms.get("dismiss") or DismissForm(initial=v)
        ctx["open_form"] = forms.get("open_case") or PlanForm(initial=v, prefix="open")
    if case is not None:
        ctx["actions"] = list(case.actions.select_related("author"))
        ctx["case_warnings"] = list(
            access.warnings_visible_to(user).filter(case=case).order_by("-severity", "id")
        )
        if can_act and case.status == CaseStatus.OPEN:
            cv = {"version": case.version}
            back = f"?w={warning.pk}"
            ctx["plan_url"] = reverse("retention:case_plan", args=[case.pk]) + back
            ctx["action_url"] = reverse("retention:case_action", args=[case.pk]) + back
            ctx["close_url"] = reverse("retention:case_close", args=[case.pk]) + back
            ctx["plan_form"] = forms.get("plan") or PlanForm(
                initial={**cv, "plan": case.plan}, prefix="plan"
            )
            ctx["action_form"] = forms.get("action") or ActionForm(initial={"done_on": today})
            ctx["close_form"] = forms.get("close") or CloseForm(
                initial={**cv, "closed_on": today, "competitor": warning.competitor},
                prefix="close",
            )
    return render(request, "retention/warning.html", ctx, status=status)


def _redisplay(request: AuthedHttpRequest, warning: ChurnWarning, name: str, form: Any) -> Any:
    """The warning page again with the form's errors (nothing was written)."""
    fresh = _warning(request, warning.pk)
    return _render_detail(request, fresh, {name: form}, status=400)


def _require_act(request: AuthedHttpRequest, account: Account) -> None:
    if not access.can_act(request.user, account):
        raise DjangoPermissionDenied


@login_required
@require_POST
def acknowledge(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    _require_act(request, warning.account)
    form = VersionForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.warning_acknowledge(
            actor=request.user, warning=warning, expected_version=data["version"]
        )

    if submit(form, action):
        messages.success(request, _("已确认预警。"))
        return redirect("retention:warning", pk)
    return _redisplay(request, warning, "acknowledge", form)


@login_required
@require_POST
def dismiss(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    _require_act(request, warning.account)
    form = DismissForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.warning_dismiss(
            actor=request.user, warning=warning, note=data["note"], expected_version=data["version"]
        )

    if submit(form, action):
        messages.success(request, _("预警已关闭（无需挽留）。"))
        return redirect("retention:warning", pk)
    return _redisplay(request, warning, "dismiss", form)


@login_required
@require_POST
def open_case(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    _require_act(request, warning.account)
    form = PlanForm(request.POST, prefix="open")

    def action(data: dict[str, Any]) -> None:
        services.case_open(
            actor=request.user, warning=warning, plan=data["plan"], expected_version=data["version"]
        )

    if submit(form, action):
        messages.success(request, _("已立案挽留。"))
        return redirect("retention:warning", pk)
    return _redisplay(request, warning, "open_case", form)


def _case_warning(request: AuthedHttpRequest, case: RetentionCase) -> ChurnWarning:
    """The warning page a case form came from (`?w=`), else the case's latest warning."""
    warnings = access.warnings_visible_to(request.user).filter(case=case)
    try:
        wanted = int(request.GET.get("w") or 0)
    except ValueError:
        wanted = 0
    warning = (warnings.filter(pk=wanted).first() if wanted else None) or warnings.order_by(
        "-id"
    ).first()
    if warning is None:
        raise Http404
    return _warning(request, warning.pk)


@login_required
@require_POST
def case_plan(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    _require_act(request, case.account)
    warning = _case_warning(request, case)
    form = PlanForm(request.POST, prefix="plan")

    def action(data: dict[str, Any]) -> None:
        services.case_plan_update(
            actor=request.user, case=case, plan=data["plan"], expected_version=data["version"]
        )

    if submit(form, action):
        messages.success(request, _("挽留方案已保存。"))
        return redirect("retention:warning", warning.pk)
    return _redisplay(request, warning, "plan", form)


@login_required
@require_POST
def case_action(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    _require_act(request, case.account)
    warning = _case_warning(request, case)
    form = ActionForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.case_action_add(
            actor=request.user, case=case, done_on=data["done_on"], text=data["text"]
        )

    if submit(form, action):
        messages.success(request, _("已登记挽留措施。"))
        return redirect(reverse("retention:warning", args=[warning.pk]) + "#actions")
    return _redisplay(request, warning, "action", form)


@login_required
@require_POST
def case_close(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    _require_act(request, case.account)
    warning = _case_warning(request, case)
    form = CloseForm(request.POST, prefix="close")

    def action(data: dict[str, Any]) -> None:
        services.case_close(
            actor=request.user,
            case=case,
            outcome=data["outcome"],
            reason=data["reason"],
            competitor=data["competitor"],
            monthly_revenue_lost=data["monthly_revenue_lost"],
            note=data["note"],
            closed_on=data["closed_on"],
            expected_version=data["version"],
        )

    if submit(form, action):
        messages.success(request, _("挽留案例已结案：%(o)s。") % {"o": case.get_outcome_display()})
        return redirect("retention:warning", warning.pk)
    return _redisplay(request, warning, "close", form)


# --- field intelligence --------------------------------------------------------------------


@login_required
def field_report(request: AuthedHttpRequest, account_pk: int) -> HttpResponse:
    """Report what was heard about an account (anyone who sees it, desk included)."""
    try:
        account = account_get_visible(user=request.user, pk=account_pk)
    except NotFound:
        raise Http404 from None
    if not access.can_report_field(request.user, account):
        raise DjangoPermissionDenied
    form = FieldReportForm(request.POST or None, initial={"heard_on": clock.today()})

    def action(data: dict[str, Any]) -> None:
        services.field_report_create(actor=request.user, account=account, **data)

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已提交一线情报，客户经理将收到流失预警。"))
        return redirect("accounts:detail", account.pk)
    return render(
        request,
        "form_page.html",
        {
            "section": "accounts",
            "form": form,
            "account": account,
            "title": _("报告一线情报"),
            "cancel_url": reverse("accounts:detail", args=[account.pk]),
            "submit_label": _("提交"),
        },
    )


# --- the account page's churn panel --------------------------------------------------------


def account_churn_context(*, user: Any, account: Account) -> dict[str, Any]:
    """The churn panel of the account page: the risk score with its top reasons and the
    open warnings (None for those who may not see churn information)."""
    can_report = access.can_report_field(user, account)
    panel = selectors.account_churn_panel(user=user, account_id=account.pk)
    if panel is None:
        return {"churn": None, "can_report_field": can_report}
    risk = panel["risk"]
    reasons = []
    if risk is not None:
        for r in (risk.reasons or [])[:3]:
            reasons.append(
                {
                    "label": FEATURE_LABELS.get(r.get("feature"), r.get("feature")),
                    "value": r.get("value"),
                    "effect_pct": round(_num(r.get("effect")) * 100, 1),
                }
            )
    return {
        "churn": {
            "risk": risk,
            "risk_pct": round(float(risk.score) * 100, 1) if risk is not None else None,
            "reasons": reasons,
            "warnings": panel["warnings"],
            "today": clock.today(),
        },
        "can_report_field": can_report,
    }
