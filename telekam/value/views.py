"""Pages of value assessment: the account page's value tab, and the inputs page (cost
pools and segment statistics) for the department head, analysts and administrator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.errors import ApplicationError, NotFound, PermissionDenied
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.org.models import Role
from telekam.value import access, composite, potential, selectors, services
from telekam.value.forms import (
    CostPoolForm,
    IndustryGrowthForm,
    IntangibleSheetForm,
    ParametersForm,
    ReviewForm,
    SegmentFigureForm,
    ShareOfWalletForm,
    WeightsForm,
    month_asked,
)
from telekam.value.models import (
    CostPool,
    IndustryGrowth,
    IntangibleCriterion,
    IntangibleSheet,
    SegmentFigure,
    ShareOfWallet,
)
from telekam.value.services import PARAMETER_FIELDS


def account_value_context(
    *, user: Any, account: Account, month_text: str | None = None
) -> dict[str, Any]:
    """The value tab of the account page: a month's direct value (`month_text` YYYY-MM,
    default the latest billed month), the cost allocated per resource, the equivalence and
    this year's intangible-value sheet (the tab is shown only to those who see financial
    information; the selectors refuse the others). A bad month shows the latest with a
    message."""
    month, month_error = _month_or_error(month_text)
    value = selectors.account_value(user=user, account_id=account.pk, month=month)
    sheet = selectors.account_sheet(user=user, account=account, year=clock.today().year)
    # One composite table gives the account's potential, score, ranks and grade advice.
    score = composite.composite_table(month=value.month).rows.get(account.pk)
    return {
        "value": value,
        "direct": value.direct,
        "sheet": sheet,
        "month_error": month_error,
        "can_enter_share": access.can_enter_share(user, account),
        "pot": score.potential if score else None,
        "comp": score,
        "added_value_note": potential.ADDED_VALUE_NOTE,
    }


ROWS_SHOWN = 36
# The inputs saved by version (0: new): the form, its service, the message when saved.
VERSIONED_INPUTS: dict[str, tuple[Any, Any, Any]] = {
    "pool": (CostPoolForm, services.cost_pool_save, _lazy("成本池已保存。")),
    "growth": (IndustryGrowthForm, services.industry_growth_save, _lazy("行业增长率已保存。")),
    "params": (ParametersForm, services.value_parameters_save, _lazy("价值评估参数已保存。")),
    "figure": (SegmentFigureForm, services.segment_figure_save, _lazy("客户类别统计已保存。")),
}


@login_required
def inputs(request: AuthedHttpRequest) -> HttpResponse:
    """The month's cost pools and the segment statistics: the list, and one form for each
    (a row's 修改 link fills the form with that row and its version)."""
    if not access.keeps_inputs(request.user):
        raise DjangoPermissionDenied
    pool_form = CostPoolForm(prefix="pool")
    figure_form = SegmentFigureForm(prefix="figure")
    criteria = list(IntangibleCriterion.objects.filter(active=True))
    weights_form = WeightsForm(prefix="weights", criteria=criteria)
    growth_form = IndustryGrowthForm(
        prefix="growth", initial={"year": clock.today().year, "version": 0}
    )
    params = potential.value_parameters()
    params_form = ParametersForm(
        prefix="params",
        initial={**{f: getattr(params, f) for f in PARAMETER_FIELDS}, "version": params.version},
    )
    forms: dict[str, Any] = {
        "pool": pool_form,
        "figure": figure_form,
        "growth": growth_form,
        "params": params_form,
    }
    if request.method == "POST":
        which = request.POST.get("which")
        if which == "weights":
            weights_form = WeightsForm(request.POST, prefix="weights", criteria=criteria)
            if submit(
                weights_form,
                lambda _d: services.intangible_weights_save(
                    actor=request.user,
                    weights=weights_form.weights(),
                    read=weights_form.read_weights(),
                ),
            ):
                messages.success(request, _("评分项权重已保存。"))
                return redirect("value:inputs")
        elif which in VERSIONED_INPUTS:
            form_class, save, done = VERSIONED_INPUTS[which]
            form = form_class(request.POST, prefix=which)
            forms[which] = form
            if submit(form, lambda d: save(actor=request.user, **_version(d))):
                messages.success(request, done)
                return redirect("value:inputs")
        else:
            return HttpResponseBadRequest()
    else:
        pool = _picked(CostPool, request.GET.get("pool"))
        if pool is not None:
            forms["pool"] = CostPoolForm(
                prefix="pool",
                initial={
                    **model_to_dict(pool),
                    "month": f"{pool.month:%Y-%m}",
                    "version": pool.version,
                },
            )
        growth = _picked(IndustryGrowth, request.GET.get("growth"))
        if growth is not None:
            forms["growth"] = IndustryGrowthForm(
                prefix="growth",
                initial={
                    "industry": growth.industry,
                    "year": growth.year,
                    "growth_pct": growth.growth_pct,
                    "version": growth.version,
                },
            )
        figure = _picked(SegmentFigure, request.GET.get("figure"))
        if figure is not None:
            forms["figure"] = SegmentFigureForm(
                prefix="figure",
                initial={
                    **model_to_dict(figure),
                    "month": f"{figure.month:%Y-%m}",
                    "version": figure.version,
                },
            )
    return render(
        request,
        "value/inputs.html",
        {
            "section": "value",
            "pools": CostPool.objects.all()[:ROWS_SHOWN],
            "figures": SegmentFigure.objects.all()[:ROWS_SHOWN],
            "growths": IndustryGrowth.objects.all()[:ROWS_SHOWN],
            **{f"{name}_form": form for name, form in forms.items()},
            "weights_form": weights_form,
        },
    )


def _month_or_error(text: str | None) -> tuple[dt.date | None, str]:
    """The month asked for, or None (the latest billed) and the reason it was refused."""
    try:
        return month_asked(text), ""
    except ValidationError as error:
        return None, error.messages[0]


def _version(data: dict[str, Any]) -> dict[str, Any]:
    data["expected_version"] = data.pop("version")
    return data


def _picked(model: type[CostPool | SegmentFigure | IndustryGrowth], pk: str | None) -> Any:
    if not pk or not pk.isdigit():
        return None
    return model.objects.filter(pk=int(pk)).first()


# --- the intangible-value sheet -------------------------------------------------------------


def _visible_account(request: AuthedHttpRequest, pk: int) -> Account:
    from telekam.accounts.selectors import account_get_visible

    return account_get_visible(user=request.user, pk=pk)


@login_required
def sheet_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Fill in or change this year's intangible-value sheet of the account."""
    account = _visible_account(request, pk)
    if not access.can_fill_sheet(request.user, account):
        raise DjangoPermissionDenied
    year = clock.today().year
    view = selectors.account_sheet(user=request.user, account=account, year=year)
    criteria = list(IntangibleCriterion.objects.filter(active=True))
    sheet = view.sheet
    initial: dict[str, Any] = {"version": sheet.version if sheet else 0}
    if sheet is not None:
        initial["notes"] = sheet.notes
        initial.update({f"mark_{c}": str(m) for c, m in sheet.marks.items()})
    form = IntangibleSheetForm(request.POST or None, criteria=criteria, initial=initial)

    def action(data: dict[str, Any]) -> None:
        services.intangible_sheet_save(
            actor=request.user,
            account=account,
            year=year,
            marks=form.marks(),
            notes=data["notes"],
            expected_version=data["version"],
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("无形价值评分已保存，确认无误后请提交审核。"))
        return redirect(f"{reverse('accounts:detail', args=[account.pk])}#value")
    return render(
        request,
        "form_page.html",
        {
            "section": "accounts",
            "form": form,
            "account": account,
            "title": _("%(y)d 年无形价值评分") % {"y": year},
            "cancel_url": reverse("accounts:detail", args=[account.pk]),
        },
    )


@login_required
def share_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Enter or change our share of the account's telecom spend (its AM, group lead or
    the department head)."""
    account = _visible_account(request, pk)
    if not access.can_enter_share(request.user, account):
        raise DjangoPermissionDenied
    share = ShareOfWallet.objects.filter(account=account).first()
    initial: dict[str, Any] = {"version": share.version if share else 0}
    if share is not None:
        initial.update(share_pct=share.share_pct, note=share.note)
    form = ShareOfWalletForm(request.POST or None, initial=initial)

    def action(data: dict[str, Any]) -> None:
        services.share_of_wallet_save(actor=request.user, account=account, **_version(data))

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("钱包份额已保存。"))
        return redirect(f"{reverse('accounts:detail', args=[account.pk])}#value")
    return render(
        request,
        "form_page.html",
        {
            "section": "accounts",
            "form": form,
            "account": account,
            "title": _("钱包份额：我方占客户通信支出的比例"),
            "cancel_url": reverse("accounts:detail", args=[account.pk]),
        },
    )


def _sheet(request: AuthedHttpRequest, pk: int) -> IntangibleSheet:
    sheet = IntangibleSheet.objects.select_related("account").filter(pk=pk).first()
    if sheet is None:
        raise Http404
    _visible_account(request, sheet.account_id)  # NotFound outside the user's accounts
    return sheet


@login_required
@require_POST
def sheet_submit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    version = _int(request.POST.get("version"))
    try:
        services.intangible_sheet_submit(actor=request.user, sheet=sheet, expected_version=version)
        messages.success(request, _("已提交行业组长审核。"))
    except ApplicationError as error:
        if isinstance(error, (NotFound, PermissionDenied)):
            raise
        messages.error(request, error.message)
    return redirect(f"{reverse('accounts:detail', args=[sheet.account_id])}#value")


@login_required
@require_POST
def sheet_review(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("审核意见不完整。"))
    else:
        data = form.cleaned_data
        try:
            services.intangible_sheet_review(
                actor=request.user,
                sheet=sheet,
                approve=data["decision"] == "approve",
                note=data["note"],
                expected_version=data["version"],
            )
            messages.success(request, _("审核已记录。"))
        except ApplicationError as error:
            if isinstance(error, (NotFound, PermissionDenied)):
                raise
            messages.error(request, error.message)
    back = request.POST.get("back")
    if back == "reviews":
        return redirect("value:reviews")
    return redirect(f"{reverse('accounts:detail', args=[sheet.account_id])}#value")


@login_required
def reviews(request: AuthedHttpRequest) -> HttpResponse:
    """The sheets waiting for this group lead's (or the head's) review."""
    if request.user.role not in (Role.GROUP_LEAD, Role.DEPARTMENT_HEAD):
        raise DjangoPermissionDenied
    return render(
        request,
        "value/reviews.html",
        {"section": "accounts", "sheets": selectors.sheets_to_review(user=request.user)},
    )


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else -1


# --- the value overview ---------------------------------------------------------------------


@login_required
def overview(request: AuthedHttpRequest) -> HttpResponse:
    """The key accounts' value in a month for the user's accounts: totals, margin bands,
    the most and least profitable, and this quarter's lost accounts in ordinary customers."""
    from telekam.retention import access as retention_access
    from telekam.retention.analysis import period_containing

    if not access.sees_value(request.user):
        raise DjangoPermissionDenied
    month, error = _month_or_error(request.GET.get("month"))
    data = selectors.value_overview(user=request.user, month=month)
    quarter = period_containing("quarter", data.month or clock.today())
    lost = selectors.lost_equivalence(user=request.user, start=quarter.start, end=quarter.end)
    lost_accounts = list(Account.objects.filter(pk__in=lost.account_ids).order_by("name")[:50])
    ranked = composite.composite_top(user=request.user, month=data.month) if data.month else []
    peak = max((b.accounts for b in data.bands), default=0) or 1
    bars = [
        {"band": b, "x": i * 70 + 10, "h": h, "y": 110 - h, "label_y": 106 - h}
        for i, b in enumerate(data.bands)
        for h in [round(b.accounts / peak * 90, 1)]
    ]
    return render(
        request,
        "value/overview.html",
        {
            "section": "value",
            "data": data,
            "bars": bars,
            "lost": lost,
            "lost_accounts": lost_accounts,
            "ranked": ranked,
            "sees_cases": retention_access.can_see_analysis(request.user),
            "quarter": quarter,
            "month_error": error,
            "keeps_inputs": access.keeps_inputs(request.user),
        },
    )
