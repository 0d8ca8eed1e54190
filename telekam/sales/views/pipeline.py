"""The pipeline's pages: the kanban board (drag a card to move the deal), the opportunity
list and page with its stage path, history, solutions, contracts and appraisal; prospects
and their conversion; the weighted forecast and the win/loss analysis.

Every page needs a role that works on sales (the service desk and operations get 403);
what the user may not see is a 404, what its role may not do a 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from telekam.accounts import access as account_access
from telekam.accounts.models import Account
from telekam.accounts.selectors import account_get_visible
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, NotFound
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.org.models import IndustryGroup, Role, User
from telekam.sales import access, appraisal, selectors, services
from telekam.sales.forms import (
    AppraisalForm,
    BoardMoveForm,
    MoveForm,
    OpportunityEditForm,
    OpportunityNewForm,
    ProspectForm,
)
from telekam.sales.models import (
    OPEN_STAGES,
    Appraisal,
    AppraisalThresholds,
    Opportunity,
    Prospect,
    Quote,
    Stage,
)
from telekam.sales.services.edits import opportunity_update
from telekam.service.forms import VersionForm

SECTION = {"section": "sales"}
STAGE_FILTERS = [
    ("", gettext_lazy("进行中")),
    ("all", gettext_lazy("全部")),
    *Stage.choices,
]
# The path a deal takes (domain §4); won and lost are the two ends.
PATH = (*OPEN_STAGES, Stage.WON)


# -- shared helpers ------------------------------------------------------------------------


def _gate(request: AuthedHttpRequest) -> None:
    """The sales part is closed to the roles that do not work on deals (desk, operations)."""
    if not access.can_use_sales(request.user):
        raise DjangoPermissionDenied


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _opportunity(request: AuthedHttpRequest, pk: int) -> Opportunity:
    try:
        return selectors.opportunity_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _prospect(request: AuthedHttpRequest, pk: int | None) -> Prospect:
    try:
        return selectors.prospect_get_visible(user=request.user, pk=pk or 0)
    except NotFound:
        raise Http404 from None


def _owner_choices(user: User) -> list[tuple[int, str]]:
    """The AMs (and leads, who may own deals) the user may filter by; none for an AM."""
    if user.role == Role.ACCOUNT_MANAGER:
        return []
    owners = User.objects.filter(role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD], is_active=True)
    if user.role not in access.SEES_ALL:
        owners = owners.filter(group_id=user.group_id)
    rows = owners.order_by("username").values_list("pk", "last_name", "first_name", "username")
    return [(pk, f"{last}{first}" or username) for pk, last, first, username in rows]


def _group_choices(user: User) -> list[IndustryGroup]:
    """Industry groups to filter by: only for who sees every group."""
    if user.role not in access.SEES_ALL:
        return []
    return list(IndustryGroup.objects.filter(kind="industry"))


def _scope(user: User, query: Any) -> dict[str, Any]:
    """The owner and group filters of a page, ignored where the user has no such choice."""
    owners = _owner_choices(user)
    groups = _group_choices(user)
    owner_id = _int(query.get("owner")) if owners else None
    group_id = _int(query.get("group")) if groups else None
    return {"owners": owners, "groups": groups, "owner_id": owner_id, "group_id": group_id}


# -- the board -----------------------------------------------------------------------------


def _board_context(
    request: AuthedHttpRequest, query: Any, *, error: str = "", notice: str = ""
) -> dict[str, Any]:
    scope = _scope(request.user, query)
    columns = selectors.pipeline_board(
        user=request.user, owner_id=scope["owner_id"], group_id=scope["group_id"]
    )
    return {
        **SECTION,
        **scope,
        "columns": columns,
        "today": clock.today(),
        "can_drag": access.can_create(request.user),
        "board_error": error,
        "board_notice": notice,
    }


@login_required
@require_GET
def board(request: AuthedHttpRequest) -> HttpResponse:
    """The kanban of open deals, one column per stage."""
    _gate(request)
    return render(request, "sales/board.html", _board_context(request, request.GET))


@require_POST
@login_required
def board_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A card dropped on another column (htmx): the board comes back re-rendered, with the
    card in its new column, or with the message and the card where it was."""
    _gate(request)
    opportunity = _opportunity(request, pk)
    form = BoardMoveForm(request.POST)
    status, error, notice = 200, "", ""
    if not access.can_edit_opportunity(request.user, opportunity):
        status, error = 403, _("您没有执行此操作的权限。")
    elif not form.is_valid():
        status = 400
        error = str(next(iter(form.errors.values()))[0])
    else:
        try:
            services.opportunity_move(
                actor=request.user,
                opportunity=opportunity,
                to_stage=form.cleaned_data["to_stage"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status, error = exc.status, exc.message
        else:
            notice = _("“%(n)s”已移至%(s)s。") % {
                "n": opportunity.name,
                "s": Stage(opportunity.stage).label,
            }
    context = _board_context(request, request.POST, error=error, notice=notice)
    return render(request, "sales/_board.html", context, status=status)


# -- opportunities -------------------------------------------------------------------------


@login_required
@require_GET
def opportunity_list(request: AuthedHttpRequest) -> HttpResponse:
    _gate(request)
    scope = _scope(request.user, request.GET)
    stage = request.GET.get("stage", "")
    filters = selectors.OpportunityFilters(
        stage=stage if stage in {"all", *Stage.values} else "",
        owner_id=scope["owner_id"],
        group_id=scope["group_id"],
        q=request.GET.get("q", "")[:100].strip(),
    )
    qs = selectors.opportunity_list(user=request.user, filters=filters)
    page = Paginator(qs, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/opportunity_list.html",
        {
            **SECTION,
            **scope,
            "page": page,
            "filters": filters,
            "stages": STAGE_FILTERS,
            "today": clock.today(),
            "can_create": access.can_create(request.user),
        },
    )


def _form_page(
    request: AuthedHttpRequest,
    form: Any,
    *,
    title: str,
    cancel_url: str,
    opportunity: Opportunity | None = None,
    customer: Account | Prospect | None = None,
    submit_label: str | None = None,
) -> HttpResponse:
    return render(
        request,
        "sales/_form_page.html",
        {
            **SECTION,
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "opportunity": opportunity,
            "customer": customer,
            "submit_label": submit_label,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _account_by_code(user: User, code: str) -> Account:
    """The account with that code, if the user may start a deal on it (a form error if not)."""
    try:
        account = account_get_visible(user=user, code=code.strip())
    except NotFound:
        account = None
    if account is None or not account_access.can_edit_account(user, account):
        raise ApplicationError(_("找不到该编码的客户，或您无权为其新建商机。"), field="account")
    return account


@login_required
def opportunity_new(request: AuthedHttpRequest) -> HttpResponse:
    """A new deal for an account (?account=<pk>, or its code typed in) or a prospect
    (?prospect=<pk>)."""
    _gate(request)
    if not access.can_create(request.user):
        raise DjangoPermissionDenied
    account: Account | None = None
    prospect: Prospect | None = None
    if request.GET.get("account"):
        try:
            account = account_get_visible(user=request.user, pk=_int(request.GET["account"]) or 0)
        except NotFound:
            raise Http404 from None
        if not account_access.can_edit_account(request.user, account):
            raise DjangoPermissionDenied
    elif request.GET.get("prospect"):
        prospect = _prospect(request, _int(request.GET["prospect"]))
        if not access.can_edit_prospect(request.user, prospect):
            raise DjangoPermissionDenied
    form = OpportunityNewForm(request.POST or None, ask_account=not (account or prospect))
    created: list[Opportunity] = []

    def action(data: dict[str, Any]) -> None:
        code = data.pop("account", None)
        target = _account_by_code(request.user, code) if code is not None else account
        created.append(
            services.opportunity_create(
                actor=request.user, account=target, prospect=prospect, **data
            )
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已新建商机 %(n)s。") % {"n": created[0].number})
        return redirect("sales:opportunity_detail", created[0].pk)
    if account is not None:
        cancel = reverse("accounts:detail", args=[account.pk])
    elif prospect is not None:
        cancel = reverse("sales:prospect_detail", args=[prospect.pk])
    else:
        cancel = reverse("sales:board")
    return _form_page(
        request, form, title=_("新建商机"), cancel_url=cancel, customer=account or prospect
    )


@login_required
def opportunity_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _gate(request)
    opportunity = _opportunity(request, pk)
    if not access.can_edit_opportunity(request.user, opportunity):
        raise DjangoPermissionDenied
    products = opportunity.products.all()
    form = OpportunityEditForm(
        request.POST or None,
        current_products=products,
        initial={
            "version": opportunity.version,
            "name": opportunity.name,
            "products": list(products),
            "expected_monthly": opportunity.expected_monthly,
            "expected_one_time": opportunity.expected_one_time,
            "close_date": opportunity.close_date,
            "description": opportunity.description,
        },
    )

    def action(data: dict[str, Any]) -> None:
        version = data.pop("version")
        opportunity_update(
            actor=request.user, opportunity=opportunity, data=data, expected_version=version
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("商机已保存。"))
        return redirect("sales:opportunity_detail", pk)
    return _form_page(
        request,
        form,
        title=_("修改商机"),
        cancel_url=reverse("sales:opportunity_detail", args=[pk]),
        opportunity=opportunity,
    )


def _stage_path(opportunity: Opportunity, changes: list[Any]) -> list[dict[str, Any]]:
    """need -> solution -> negotiation -> contract -> implementation -> won (or lost):
    each step done, current or ahead. A lost deal marks the stages it went through."""
    current = str(opportunity.stage)
    steps: list[str]
    if current == Stage.LOST:
        reached = {c.to_stage for c in changes}
        steps = [*OPEN_STAGES, Stage.LOST]
        done = [s in reached and s != current for s in steps]
    else:
        steps = list(PATH)
        index = steps.index(current)
        done = [i < index for i in range(len(steps))]
    return [
        {"stage": s, "label": Stage(s).label, "current": s == current, "done": d}
        for s, d in zip(steps, done, strict=True)
    ]


def _appraisal_card(opportunity: Opportunity) -> dict[str, Any] | None:
    """The appraisal's figures and recommendation, computed from the stored inputs."""
    stored = Appraisal.objects.filter(opportunity=opportunity).first()
    if stored is None:
        return None
    row = AppraisalThresholds.objects.first() or AppraisalThresholds()
    thresholds = appraisal.Thresholds(
        min_irr_annual=row.min_irr_annual,
        max_payback_months=row.max_payback_months,
        reconsider_margin=row.reconsider_margin,
    )
    card: dict[str, Any] = {"inputs": stored, "thresholds": thresholds}
    try:
        flows = appraisal.project_flows(
            capex=stored.capex,
            monthly_opex=stored.monthly_opex,
            monthly_revenue=stored.monthly_revenue,
            one_time_revenue=stored.one_time_revenue,
            term_months=stored.term_months,
        )
        result = appraisal.appraise(flows=flows, rate=stored.discount_rate, period="month")
        card["result"] = result
        # Annualised, as percentages to 0.01 (the recommendation words them the same way).
        card["irrs"] = [f"{(r * 100).quantize(Decimal('0.01'))}%" for r in result.irrs_annual]
        card["recommendation"] = appraisal.appraisal_recommend(
            appraisal=result, thresholds=thresholds
        )
    except ApplicationError as exc:
        card["error"] = exc.message
    return card


@login_required
def opportunity_detail(
    request: AuthedHttpRequest, pk: int, move_form: MoveForm | None = None
) -> HttpResponse:
    """The deal: its stage path and rounds, history, solutions and quotes, contracts,
    appraisal, and the move to another stage."""
    _gate(request)
    opportunity = _opportunity(request, pk)
    user = request.user
    can_edit = access.can_edit_opportunity(user, opportunity)
    changes = list(opportunity.stage_changes.select_related("actor"))
    solutions = list(
        opportunity.solutions.select_related("presales").prefetch_related(
            Prefetch("quotes", queryset=Quote.objects.prefetch_related("lines__product"))
        )
    )
    quotes = []
    for solution in solutions:
        for quote in solution.quotes.all():
            quotes.append((solution.pk, quote, selectors.quote_figures(quote)))
    context: dict[str, Any] = {
        **SECTION,
        "o": opportunity,
        "customer": opportunity.account or opportunity.prospect,
        "path": _stage_path(opportunity, changes),
        "changes": changes,
        "solutions": solutions,
        "quotes": quotes,
        "contracts": list(opportunity.contracts.all()),
        "products": list(opportunity.products.all()),
        "appraisal": _appraisal_card(opportunity),
        "can_edit": can_edit and opportunity.is_open,
        "can_work": access.can_work_solution(user, opportunity),
        "today": clock.today(),
    }
    if can_edit and opportunity.is_open:
        context["move_form"] = move_form or MoveForm(
            initial={"version": opportunity.version}, current=opportunity.stage
        )
    status = 400 if move_form is not None else 200
    return render(request, "sales/opportunity_detail.html", context, status=status)


@require_POST
@login_required
def opportunity_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _gate(request)
    opportunity = _opportunity(request, pk)
    if not access.can_edit_opportunity(request.user, opportunity):
        raise DjangoPermissionDenied
    form = MoveForm(request.POST, current=opportunity.stage)

    def action(data: dict[str, Any]) -> None:
        services.opportunity_move(
            actor=request.user,
            opportunity=opportunity,
            to_stage=data["to_stage"],
            expected_version=data["version"],
            note=data["note"],
            lost_reason=data["lost_reason"],
            lost_to=data["lost_to"],
            lost_note=data["lost_note"],
        )

    if submit(form, action):
        messages.success(request, _("商机已移至%(s)s。") % {"s": Stage(opportunity.stage).label})
        return redirect("sales:opportunity_detail", pk)
    return opportunity_detail(request, pk, move_form=form)


@login_required
def appraisal_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The investment case of the deal (capex, opex, revenue, term, discount rate)."""
    _gate(request)
    opportunity = _opportunity(request, pk)
    if not access.can_work_solution(request.user, opportunity):
        raise DjangoPermissionDenied
    stored = Appraisal.objects.filter(opportunity=opportunity).first()
    if stored is not None:
        initial: dict[str, Any] = {
            "version": stored.version,
            "capex": stored.capex,
            "monthly_opex": stored.monthly_opex,
            "monthly_revenue": stored.monthly_revenue,
            "one_time_revenue": stored.one_time_revenue,
            "term_months": stored.term_months,
            "discount_rate": (stored.discount_rate * 100).quantize(Decimal("0.01")),
        }
    else:
        initial = {
            "capex": Decimal("0.00"),
            "monthly_opex": Decimal("0.00"),
            "monthly_revenue": opportunity.expected_monthly,
            "one_time_revenue": opportunity.expected_one_time,
            "term_months": 36,
            "discount_rate": Decimal("8.00"),
        }
    form = AppraisalForm(request.POST or None, initial=initial)

    def action(data: dict[str, Any]) -> None:
        if data.get("version") is None:
            data.pop("version", None)
            if Appraisal.objects.filter(opportunity=opportunity).exists():
                raise Conflict(_("该商机的项目评估已由他人填写，请刷新后重新修改。"))
        services.appraisal_set(actor=request.user, opportunity=opportunity, data=data)

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("项目评估已保存。"))
        return redirect("sales:opportunity_detail", pk)
    return _form_page(
        request,
        form,
        title=_("项目评估"),
        cancel_url=reverse("sales:opportunity_detail", args=[pk]),
        opportunity=opportunity,
    )


# -- prospects ----------------------------------------------------------------------------


@login_required
@require_GET
def prospect_list(request: AuthedHttpRequest) -> HttpResponse:
    """The prospects the user sees that are not customers yet."""
    _gate(request)
    q = request.GET.get("q", "")[:100].strip()
    qs = selectors.prospect_list(user=request.user, q=q)
    page = Paginator(qs, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/prospect_list.html",
        {**SECTION, "page": page, "q": q, "can_create": access.can_create(request.user)},
    )


def _prospect_owners(user: User) -> QuerySet[User] | None:
    """Whom a lead or the head may make responsible for a prospect; None for an AM (itself)."""
    if user.role == Role.ACCOUNT_MANAGER:
        return None
    owners = User.objects.filter(
        role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD], is_active=True, group__isnull=False
    )
    if user.role == Role.GROUP_LEAD:
        owners = owners.filter(group_id=user.group_id)
    return owners.order_by("username")


@login_required
def prospect_new(request: AuthedHttpRequest) -> HttpResponse:
    _gate(request)
    if not access.can_create(request.user):
        raise DjangoPermissionDenied
    owners = _prospect_owners(request.user)
    initial = {"owner": request.user.pk} if request.user.role == Role.GROUP_LEAD else {}
    form = ProspectForm(request.POST or None, owners=owners, initial=initial)
    created: list[Prospect] = []

    def action(data: dict[str, Any]) -> None:
        owner = data.pop("owner", None)
        created.append(services.prospect_create(actor=request.user, data=data, owner=owner))

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已新建潜在客户“%(n)s”。") % {"n": created[0].name})
        return redirect("sales:prospect_detail", created[0].pk)
    return _form_page(
        request, form, title=_("新建潜在客户"), cancel_url=reverse("sales:prospect_list")
    )


@login_required
def prospect_detail(
    request: AuthedHttpRequest, pk: int, convert_form: VersionForm | None = None
) -> HttpResponse:
    _gate(request)
    prospect = _prospect(request, pk)
    can_edit = access.can_edit_prospect(request.user, prospect) and prospect.account_id is None
    opportunities = (
        access.opportunities_visible_to(request.user)
        .filter(prospect=prospect)
        .select_related("owner")
        .order_by("-created_at", "-id")
    )
    context = {
        **SECTION,
        "p": prospect,
        "opportunities": list(opportunities),
        "can_edit": can_edit,
        "can_start": can_edit and access.can_create(request.user),
        "convert_form": convert_form or VersionForm(initial={"version": prospect.version}),
    }
    return render(
        request,
        "sales/prospect_detail.html",
        context,
        status=400 if convert_form is not None else 200,
    )


@require_POST
@login_required
def prospect_convert(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One click: the prospect becomes an account with what was typed, its deals follow."""
    _gate(request)
    prospect = _prospect(request, pk)
    if not access.can_edit_prospect(request.user, prospect):
        raise DjangoPermissionDenied
    form = VersionForm(request.POST)
    created: list[Account] = []

    def action(data: dict[str, Any]) -> None:
        created.append(
            services.prospect_convert(
                actor=request.user, prospect=prospect, expected_version=data["version"]
            )
        )

    if submit(form, action):
        messages.success(
            request,
            _("“%(n)s”已转为客户，编码 %(c)s。") % {"n": prospect.name, "c": created[0].code},
        )
        return redirect("accounts:detail", created[0].pk)
    return prospect_detail(request, pk, convert_form=form)


# -- forecast and win/loss ------------------------------------------------------------------


@login_required
@require_GET
def forecast(request: AuthedHttpRequest) -> HttpResponse:
    """Open deals by the month they should close, weighted by their probability."""
    _gate(request)
    scope = _scope(request.user, request.GET)
    rows = selectors.forecast(
        user=request.user,
        today=clock.today(),
        months=6,
        group_id=scope["group_id"],
        owner_id=scope["owner_id"],
    )
    top = max((max(r.monthly, r.weighted_monthly) for r in rows), default=Decimal(0))
    bars = [
        {
            "row": r,
            "expected_pct": _share(r.monthly, top),
            "weighted_pct": _share(r.weighted_monthly, top),
        }
        for r in rows
    ]
    zero = Decimal("0.00")
    totals = {
        "deals": sum(r.deals for r in rows),
        "monthly": sum((r.monthly for r in rows), zero),
        "weighted_monthly": sum((r.weighted_monthly for r in rows), zero),
        "weighted_one_time": sum((r.weighted_one_time for r in rows), zero),
    }
    return render(
        request,
        "sales/forecast.html",
        {**SECTION, **scope, "bars": bars, "totals": totals},
    )


def _share(value: Decimal, top: Decimal) -> str:
    """A CSS width: `value` as a percentage of `top`, one decimal, dot separated."""
    if not top:
        return "0"
    return f"{(value * 100 / top).quantize(Decimal('0.1'))}"


def _months_back(day: dt.date, months: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months
    return dt.date(month // 12, month % 12 + 1, 1)


@login_required
@require_GET
def win_loss(request: AuthedHttpRequest) -> HttpResponse:
    """Deals closed in a period (default: this month and the eleven before it): won vs
    lost, the win rate, why deals were lost and to whom."""
    _gate(request)
    today = clock.today()
    default_start, default_end = _months_back(today, 11), today
    start = _date(request.GET.get("start"))
    end = _date(request.GET.get("end"))
    if start is None or end is None or start > end:
        start, end = default_start, default_end
    groups = _group_choices(request.user)
    group_id = _int(request.GET.get("group")) if groups else None
    result = selectors.win_loss(user=request.user, start=start, end=end, group_id=group_id)
    return render(
        request,
        "sales/win_loss.html",
        {
            **SECTION,
            "r": result,
            "groups": groups,
            "group_id": group_id,
        },
    )
