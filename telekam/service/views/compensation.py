"""Compensation forms (赔付单): the list, the form page with the step the user may take,
its PDF and the signed scan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telekam.core import clock
from telekam.core.errors import NotFound
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.service import access, selectors, services
from telekam.service.forms import ConfirmForm, ReasonForm, SettleForm, SignForm
from telekam.service.models import CompensationForm, CompensationStatus

FORMS: dict[str, Any] = {
    "confirm": ConfirmForm,
    "void": ReasonForm,
    "sign": SignForm,
    "settle": SettleForm,
}


def _form(request: AuthedHttpRequest, pk: int) -> CompensationForm:
    try:
        return selectors.compensation_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
def form_list(request: AuthedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    if status not in {"pending", "", *CompensationStatus.values}:
        status = "pending"
    page = Paginator(selectors.compensation_list(user=request.user, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "service/compensation_list.html",
        {
            "section": "compensation",
            "page": page,
            "status": status,
            "statuses": CompensationStatus.choices,
        },
    )


def _actions(user: Any, form: CompensationForm) -> dict[str, Any]:
    v = {"version": form.version}
    actions: dict[str, Any] = {}
    if form.status == CompensationStatus.DRAFT and access.can_confirm_compensation(user):
        actions["confirm"] = ConfirmForm(initial=v)
    if form.status in (CompensationStatus.DRAFT, CompensationStatus.CONFIRMED) and (
        access.can_confirm_compensation(user)
    ):
        actions["void"] = ReasonForm(initial=v)
    if form.status == CompensationStatus.CONFIRMED and access.can_sign_compensation(
        user, form.account
    ):
        actions["sign"] = SignForm(initial={**v, "signed_on": clock.today()})
    if form.status == CompensationStatus.SIGNED and access.can_settle_compensation(user):
        actions["settle"] = SettleForm(initial={**v, "month": clock.today().replace(day=1)})
    return actions


@login_required
def form_detail(
    request: AuthedHttpRequest, pk: int, bound: dict[str, Any] | None = None
) -> HttpResponse:
    form = _form(request, pk)
    actions = _actions(request.user, form)
    if bound:
        actions.update(bound)
    return render(
        request,
        "service/compensation.html",
        {
            "section": "compensation",
            "f": form,
            "account": form.account,
            "actions": actions,
            "steps": [
                (CompensationStatus.DRAFT, form.created_at, None),
                (CompensationStatus.CONFIRMED, form.confirmed_at, form.confirmed_by),
                (CompensationStatus.SIGNED, form.signed_on, form.signed_by),
                (CompensationStatus.SETTLED, form.settled_at, form.settled_by),
            ],
        },
        status=400 if bound else 200,
    )


@require_POST
@login_required
def form_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in FORMS:
        raise Http404
    form = _form(request, pk)
    allowed = {
        "confirm": access.can_confirm_compensation(request.user),
        "void": access.can_confirm_compensation(request.user),
        "sign": access.can_sign_compensation(request.user, form.account),
        "settle": access.can_settle_compensation(request.user),
    }[action]
    if not allowed:
        raise DjangoPermissionDenied
    bound = FORMS[action](request.POST, request.FILES)

    def run(data: dict[str, Any]) -> None:
        common = {"actor": request.user, "form": form, "expected_version": data["version"]}
        if action == "confirm":
            services.compensation_confirm(
                **common, segment=data["segment"], finding=data["finding"]
            )
        elif action == "void":
            services.compensation_void(**common, reason=data["reason"])
        elif action == "sign":
            services.compensation_sign(
                **common,
                signatory=data["signatory"],
                signed_on=data["signed_on"],
                scan=data["scan"],
            )
        else:
            services.compensation_settle(**common, month=data["month"])

    if submit(bound, run):
        messages.success(request, _("赔付单已更新：%(s)s。") % {"s": form.get_status_display()})
        return redirect("service:compensation_detail", pk)
    return form_detail(request, pk, bound={action: bound})


@require_GET
@login_required
def form_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    from telekam.service.pdf import compensation_form_pdf

    form = _form(request, pk)
    response = HttpResponse(compensation_form_pdf(form=form), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{form.number}.pdf"'
    return response


@require_GET
@login_required
def form_scan(request: AuthedHttpRequest, pk: int) -> FileResponse:
    form = _form(request, pk)
    if not form.signature_scan:
        raise Http404
    if not (
        access.can_sign_compensation(request.user, form.account)
        or access.can_settle_compensation(request.user)
        or access.can_confirm_compensation(request.user)
    ):
        raise DjangoPermissionDenied
    name = form.signature_scan.name.rsplit("/", 1)[-1]
    return FileResponse(form.signature_scan.open("rb"), as_attachment=True, filename=name)
