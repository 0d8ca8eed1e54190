"""The desk's pages: the queue, opening requests, orders and faults, and the request page
with its SLA clock and the actions each role may take."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
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

from telekam.accounts.selectors import account_get_visible
from telekam.core import clock
from telekam.core.errors import NotFound
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.org.models import IndustryGroup, Role, User
from telekam.service import access, selectors, services
from telekam.service.forms import (
    ActivateForm,
    AssignForm,
    FaultForm,
    NoteForm,
    OrderForm,
    ReasonForm,
    RequestForm,
    RestoreForm,
    StatusForm,
    VersionForm,
)
from telekam.service.models import (
    FaultStatus,
    OrderStatus,
    RequestKind,
    RequestStatus,
    ServiceRequest,
)
from telekam.service.services.requests import TRANSITIONS

STATUS_FILTERS = [
    ("open", gettext_lazy("未办结")),
    ("closed", gettext_lazy("已办结")),
    ("all", gettext_lazy("全部")),
]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def queue(request: AuthedHttpRequest) -> HttpResponse:
    """The queue of the signed-in user's role: key accounts first by star level."""
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "open")
    filters = selectors.QueueFilters(
        kind=kind if kind in RequestKind.values else "",
        status=status if status in {"open", "closed", "all", *RequestStatus.values} else "open",
        mine=request.GET.get("mine") == "1",
        q=request.GET.get("q", "")[:100],
        group_id=_int(request.GET.get("group")),
    )
    qs = selectors.request_queue(user=request.user, filters=filters)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    orders = [r.order for r in rows if r.kind == RequestKind.ORDER and _has(r, "order")]
    standing = selectors.orders_standing(orders=orders, today=clock.today())
    now = clock.now()
    items = [
        {
            "r": r,
            "standing": standing.get(r.order.pk) if _has(r, "order") else None,
            "clock": selectors.fault_clock(fault=r.fault, now=now) if _has(r, "fault") else None,
        }
        for r in rows
    ]
    show_coverage = request.user.role in {Role.SERVICE_DESK, Role.DEPARTMENT_HEAD}
    return render(
        request,
        "service/queue.html",
        {
            "section": "service",
            "page": page,
            "items": items,
            "filters": filters,
            "kinds": RequestKind.choices,
            "statuses": STATUS_FILTERS,
            "groups": IndustryGroup.objects.filter(kind="industry")
            if request.user.role not in {Role.ACCOUNT_MANAGER}
            else [],
            "coverage": selectors.callback_coverage(user=request.user, today=clock.today())
            if show_coverage
            else None,
        },
    )


def _has(obj: Any, name: str) -> bool:
    try:
        return getattr(obj, name) is not None
    except Exception:  # RelatedObjectDoesNotExist
        return False


def _account_from_query(request: AuthedHttpRequest) -> Any:
    pk = _int(request.GET.get("account") or request.POST.get("account"))
    if pk is None:
        raise Http404
    try:
        return account_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _form_page(request: AuthedHttpRequest, form: Any, *, title: str, account: Any) -> HttpResponse:
    return render(
        request,
        "form_page.html",
        {
            "section": "service",
            "form": form,
            "account": account,
            "title": title,
            "cancel_url": reverse("accounts:detail", args=[account.pk]),
        },
    )


@login_required
def request_new(request: AuthedHttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    if not access.can_open_request(request.user, account):
        raise DjangoPermissionDenied
    form = RequestForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    created: list[ServiceRequest] = []

    def action(data: dict[str, Any]) -> None:
        created.append(services.request_open(actor=request.user, account=account, **data))

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已受理，单号 %(n)s。") % {"n": created[0].number})
        return redirect("service:request_detail", created[0].pk)
    return _form_page(request, form, title=_("新建受理单"), account=account)


@login_required
def order_new(request: AuthedHttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    if not access.can_accept_order(request.user, account):
        raise DjangoPermissionDenied
    form = OrderForm(request.POST or None)
    created: list[Any] = []

    def action(data: dict[str, Any]) -> None:
        created.append(services.order_accept(actor=request.user, account=account, **data))

    if request.method == "POST" and submit(form, action):
        order = created[0]
        messages.success(
            request,
            _("已受理开通，单号 %(n)s，开通时限 %(d)s。")
            % {"n": order.request.number, "d": order.deadline},
        )
        return redirect("service:request_detail", order.request.pk)
    return _form_page(request, form, title=_("业务受理（开通）"), account=account)


@login_required
def fault_new(request: AuthedHttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    if not access.can_open_request(request.user, account):
        raise DjangoPermissionDenied
    form = FaultForm(request.POST or None, account=account)
    created: list[Any] = []

    def action(data: dict[str, Any]) -> None:
        created.append(services.fault_report(actor=request.user, account=account, **data))

    if request.method == "POST" and submit(form, action):
        fault = created[0]
        messages.success(
            request,
            _("故障已申告，单号 %(n)s，优先级 P%(p)d。")
            % {"n": fault.request.number, "p": fault.priority},
        )
        return redirect("service:request_detail", fault.request.pk)
    return _form_page(request, form, title=_("故障申告"), account=account)


def _request(request: AuthedHttpRequest, pk: int) -> ServiceRequest:
    try:
        return selectors.request_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _assignable(account: Any) -> Any:
    return User.objects.filter(is_active=True).filter(
        role__in=[Role.SERVICE_DESK, Role.OPERATIONS]
    ) | User.objects.filter(is_active=True, pk=account.owner_id)


@login_required
def request_detail(
    request: AuthedHttpRequest, pk: int, forms: dict[str, Any] | None = None
) -> HttpResponse:
    """The request page: what was asked, its SLA clock, its history, and the next steps."""
    r = _request(request, pk)
    user = request.user
    forms = forms or {}
    ctx: dict[str, Any] = {"section": "service", "r": r, "account": r.account}
    ctx["can_work"] = access.can_work_request(user, r.account)
    v = {"version": r.version}
    if ctx["can_work"] and r.kind not in (RequestKind.ORDER, RequestKind.FAULT):
        allowed = TRANSITIONS.get(r.status, set())
        status_form = forms.get("status") or StatusForm(initial=v)
        _choices(status_form, [(s.value, s.label) for s in RequestStatus if s in allowed])
        ctx["status_form"] = status_form if allowed else None
    elif ctx["can_work"] and r.status == RequestStatus.RESOLVED:
        status_form = forms.get("status") or StatusForm(initial=v)
        _choices(status_form, [(RequestStatus.CLOSED.value, RequestStatus.CLOSED.label)])
        ctx["status_form"] = status_form
    if ctx["can_work"] and r.is_open:
        ctx["assign_form"] = forms.get("assign") or AssignForm(
            initial={**v, "owner": r.owner_id}, users=_assignable(r.account)
        )
        ctx["note_form"] = forms.get("note") or NoteForm()
    if r.kind == RequestKind.ORDER and _has(r, "order"):
        order = r.order
        ctx["order"] = order
        ctx["standing"] = selectors.order_standing(order=order, today=clock.today())
        ctx["form_link"] = (
            getattr(order, "compensation", None) if _has(order, "compensation") else None
        )
        ctx["delivery"] = order.delivery if _has(order, "delivery") else None
        if order.status == OrderStatus.OPEN:
            ov = {"version": order.version}
            if access.can_activate_order(user):
                ctx["activate_form"] = forms.get("activate") or ActivateForm(
                    initial={
                        **ov,
                        "activated_on": clock.today(),
                        "circuit_number": order.circuit_number,
                    }
                )
            if access.can_accept_order(user, r.account) or access.can_activate_order(user):
                ctx["cancel_form"] = forms.get("cancel") or ReasonForm(initial=ov)
    if r.kind == RequestKind.FAULT and _has(r, "fault"):
        fault = r.fault
        ctx["fault"] = fault
        ctx["clock"] = selectors.fault_clock(fault=fault, now=clock.now())
        ctx["pauses"] = list(fault.pauses.all())
        fv = {"version": fault.version}
        if fault.status != FaultStatus.RESTORED:
            if access.can_work_fault(user):
                ctx["fault_version"] = fault.version
                if fault.status in (FaultStatus.OPEN, FaultStatus.RESPONDED):
                    ctx["pause_form"] = forms.get("pause") or ReasonForm(initial=fv)
            if access.can_restore_fault(user):
                ctx["restore_form"] = forms.get("restore") or RestoreForm(initial=fv)
    ctx["events"] = list(r.events.all())
    return render(request, "service/request.html", ctx)


def _choices(form: StatusForm, choices: list[tuple[str, Any]]) -> None:
    field = form.fields["to_status"]
    assert isinstance(field, django_forms.ChoiceField)  # noqa: S101 (a narrowing for mypy)
    field.choices = choices


def _redisplay(request: AuthedHttpRequest, pk: int, name: str, form: Any) -> HttpResponse:
    response = request_detail(request, pk, forms={name: form})
    response.status_code = 400
    return response


@require_POST
@login_required
def request_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    r = _request(request, pk)
    form = StatusForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.request_transition(
            actor=request.user,
            request=r,
            to_status=data["to_status"],
            note=data["note"],
            expected_version=data["version"],
        )

    if submit(form, action):
        messages.success(request, _("状态已更新。"))
        return redirect("service:request_detail", pk)
    return _redisplay(request, pk, "status", form)


@require_POST
@login_required
def request_assign(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    r = _request(request, pk)
    form = AssignForm(request.POST, users=_assignable(r.account))

    def action(data: dict[str, Any]) -> None:
        services.request_assign(
            actor=request.user, request=r, owner=data["owner"], expected_version=data["version"]
        )

    if submit(form, action):
        messages.success(request, _("已分派。"))
        return redirect("service:request_detail", pk)
    return _redisplay(request, pk, "assign", form)


@require_POST
@login_required
def request_note(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    r = _request(request, pk)
    form = NoteForm(request.POST)
    if submit(form, lambda d: services.request_note(actor=request.user, request=r, note=d["note"])):
        return redirect("service:request_detail", pk)
    return _redisplay(request, pk, "note", form)


def _order_request(request: AuthedHttpRequest, pk: int) -> Any:
    try:
        order = selectors.order_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    return order


@require_POST
@login_required
def order_activate(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    order = _order_request(request, pk)
    if not access.can_activate_order(request.user):
        raise DjangoPermissionDenied
    form = ActivateForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.order_activate(
            actor=request.user,
            order=order,
            activated_on=data["activated_on"],
            circuit_number=data["circuit_number"],
            expected_version=data["version"],
        )

    if submit(form, action):
        if order.working_days_late:
            messages.warning(
                request,
                _("已登记开通，超时 %(d)d 个工作日，已生成赔付单草稿。")
                % {"d": order.working_days_late},
            )
        else:
            messages.success(request, _("已登记开通，按时完成。"))
        return redirect("service:request_detail", order.request_id)
    return _redisplay(request, order.request_id, "activate", form)


@require_POST
@login_required
def order_cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    order = _order_request(request, pk)
    form = ReasonForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.order_cancel(
            actor=request.user, order=order, reason=data["reason"], expected_version=data["version"]
        )

    if submit(form, action):
        messages.success(request, _("已撤单。"))
        return redirect("service:request_detail", order.request_id)
    return _redisplay(request, order.request_id, "cancel", form)


FAULT_ACTIONS = {"respond", "pause", "resume", "restore"}


@require_POST
@login_required
def fault_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in FAULT_ACTIONS:
        raise Http404
    from telekam.service.models import FaultTicket

    try:
        fault = (
            access.visible(FaultTicket.objects.all(), request.user)
            .select_related("account", "service", "request")
            .get(pk=pk)
        )
    except FaultTicket.DoesNotExist:
        raise Http404 from None
    form: Any = {
        "respond": VersionForm,
        "resume": VersionForm,
        "pause": ReasonForm,
        "restore": RestoreForm,
    }[action](request.POST)

    def run(data: dict[str, Any]) -> None:
        common = {"actor": request.user, "fault": fault, "expected_version": data["version"]}
        if action == "respond":
            services.fault_respond(**common)
        elif action == "resume":
            services.fault_resume(**common)
        elif action == "pause":
            services.fault_pause(**common, reason=data["reason"])
        else:
            services.fault_restore(**common, cause=data["cause"], restored_at=data["restored_at"])

    if submit(form, run):
        messages.success(request, _("故障单已更新。"))
        return redirect("service:request_detail", fault.request_id)
    if action in ("respond", "resume"):
        for error in form.non_field_errors() or [_("页面已过期，请刷新后重试。")]:
            messages.error(request, error)
        return redirect("service:request_detail", fault.request_id)
    return _redisplay(request, fault.request_id, action, form)


def account_service_context(*, user: Any, account: Any) -> dict[str, Any]:
    """The account page's service tab: open requests with their SLA standing, forms to
    settle, and what the user may open."""
    return {
        "svc": selectors.account_service(account=account, today=clock.today()),
        "can_open": access.can_open_request(user, account),
        "can_accept": access.can_accept_order(user, account),
    }
