"""Pages of value assessment: the account page's value tab, and the inputs page (cost
pools and segment statistics) for the department head, analysts and administrator."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms.models import model_to_dict
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from telekam.accounts.models import Account
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.value import access, selectors, services
from telekam.value.forms import CostPoolForm, SegmentFigureForm
from telekam.value.models import CostPool, SegmentFigure


def account_value_context(*, user: Any, account: Account) -> dict[str, Any]:
    """The value tab of the account page: the latest billed month's direct value, the cost
    allocated per resource and the equivalence (the tab is shown only to those who see
    financial information; the selector refuses the others)."""
    value = selectors.account_value(user=user, account_id=account.pk)
    return {"value": value, "direct": value.direct}


ROWS_SHOWN = 36


@login_required
def inputs(request: AuthedHttpRequest) -> HttpResponse:
    """The month's cost pools and the segment statistics: the list, and one form for each
    (a row's 修改 link fills the form with that row and its version)."""
    if not access.keeps_inputs(request.user):
        raise DjangoPermissionDenied
    pool_form = CostPoolForm(prefix="pool")
    figure_form = SegmentFigureForm(prefix="figure")
    if request.method == "POST":
        which = request.POST.get("which")
        if which == "pool":
            pool_form = CostPoolForm(request.POST, prefix="pool")
            if submit(
                pool_form, lambda d: services.cost_pool_save(actor=request.user, **_version(d))
            ):
                messages.success(request, _("成本池已保存。"))
                return redirect("value:inputs")
        elif which == "figure":
            figure_form = SegmentFigureForm(request.POST, prefix="figure")
            if submit(
                figure_form,
                lambda d: services.segment_figure_save(actor=request.user, **_version(d)),
            ):
                messages.success(request, _("客户类别统计已保存。"))
                return redirect("value:inputs")
        else:
            return HttpResponseBadRequest()
    else:
        pool = _picked(CostPool, request.GET.get("pool"))
        if pool is not None:
            pool_form = CostPoolForm(
                prefix="pool",
                initial={
                    **model_to_dict(pool),
                    "month": f"{pool.month:%Y-%m}",
                    "version": pool.version,
                },
            )
        figure = _picked(SegmentFigure, request.GET.get("figure"))
        if figure is not None:
            figure_form = SegmentFigureForm(
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
            "pool_form": pool_form,
            "figure_form": figure_form,
        },
    )


def _version(data: dict[str, Any]) -> dict[str, Any]:
    data["expected_version"] = data.pop("version")
    return data


def _picked(model: type[CostPool] | type[SegmentFigure], pk: str | None) -> Any:
    if not pk or not pk.isdigit():
        return None
    return model.objects.filter(pk=int(pk)).first()
