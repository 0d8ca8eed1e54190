"""After the work is done (domain §5): delivering the package to a key account's
headquarters, the callback desk's calls with their coverage, and the follow-ups of
dissatisfied customers the AM leads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telekam.core import clock
from telekam.core.errors import NotFound
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.service import access, selectors, services
from telekam.service.forms import (
    CallbackForm,
    DeliveredForm,
    DeliveryConfirmForm,
    FollowUpCloseForm,
    VersionForm,
)
from telekam.service.models import (
    Callback,
    CallbackOutcome,
    CallbackStatus,
    DeliveryStatus,
    DeliveryTask,
    FaultPolicy,
    FollowUp,
    FollowUpStatus,
)

CALLBACK_COVERAGE_DAYS = 30
ITEMS_PREFETCH = ("items", "items__order__product", "items__fault__service")
DELIVERY_ACTIONS: dict[str, type[VersionForm]] = {
    "delivered": DeliveredForm,
    "confirm": DeliveryConfirmForm,
}


def _tab(request: AuthedHttpRequest, allowed: tuple[str, ...]) -> str:
    value = request.GET.get("show", allowed[0])
    return value if value in allowed else allowed[0]


def _page(request: AuthedHttpRequest, qs: Any) -> Any:
    return Paginator(qs, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))


def _redisplay(response: HttpResponse) -> HttpResponse:
    """A form that did not go through is shown again on its page, as a 400."""
    response.status_code = 400
    return response


# --- delivery -------------------------------------------------------------------------------


def _delivery(request: AuthedHttpRequest, pk: int) -> DeliveryTask:
    try:
        return selectors.delivery_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def delivery_list(request: AuthedHttpRequest) -> HttpResponse:
    """Delivery tasks of the accounts the user sees, by due date: the open ones, or all."""
    show = _tab(request, ("open", "all"))
    page = _page(request, selectors.delivery_list(user=request.user, open_only=show == "open"))
    return render(
        request,
        "service/delivery_list.html",
        {
            "section": "service",
            "page_obj": page,
            "tasks": page.object_list,
            "show": show,
            "today": clock.today(),
        },
    )


@login_required
@require_GET
def delivery_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _delivery_page(request, pk)


def _delivery_page(
    request: AuthedHttpRequest, pk: int, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The task, the circuits delivered, and the step the user may take next (`bound`: a
    form that did not go through, shown again with its errors)."""
    task = _delivery(request, pk)
    can_deliver = access.can_deliver(request.user, task.account)
    shown: dict[str, forms.Form] = {}
    if can_deliver and task.status == DeliveryStatus.PENDING:
        shown["delivered"] = DeliveredForm(
            initial={"version": task.version, "delivered_on": clock.today()}
        )
    if can_deliver and task.status == DeliveryStatus.DELIVERED:
        shown["confirm"] = DeliveryConfirmForm(
            initial={"version": task.version, "confirmed_on": clock.today()}
        )
    shown.update(bound or {})
    service = task.order.service
    return render(
        request,
        "service/delivery_detail.html",
        {
            "section": "service",
            "task": task,
            "account": task.account,
            "order": task.order,
            "services": [service] if service is not None else [],
            "delivered_form": shown.get("delivered"),
            "confirm_form": shown.get("confirm"),
            "overdue": task.status == DeliveryStatus.PENDING and task.due_on < clock.today(),
        },
    )


@login_required
@require_POST
def delivery_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    """登记交付 (delivered) or 客户确认 (confirm), each carrying the version the page showed."""
    form_class = DELIVERY_ACTIONS.get(action)
    if form_class is None:
        raise Http404
    task = _delivery(request, pk)
    if not access.can_deliver(request.user, task.account):
        raise DjangoPermissionDenied
    form = form_class(request.POST)

    def run(data: dict[str, Any]) -> None:
        if action == "delivered":
            services.delivery_mark_delivered(
                actor=request.user,
                task=task,
                delivered_on=data["delivered_on"],
                note=data["note"],
                expected_version=data["version"],
            )
        else:
            services.delivery_confirm(
                actor=request.user,
                task=task,
                confirmed_on=data["confirmed_on"],
                confirmed_by_name=data["confirmed_by_name"],
                expected_version=data["version"],
            )

    if submit(form, run):
        if action == "delivered":
            messages.success(request, _("已登记交付，请在客户确认后登记确认。"))
        else:
            messages.success(
                request,
                _("客户已确认交付，起租日期 %(d)s。") % {"d": task.billing_start_on},
            )
        return redirect("service:delivery_detail", pk)
    # _delivery_page reads the task afresh: the failed call may have changed it in memory
    return _redisplay(_delivery_page(request, pk, bound={action: form}))


def fault_commitments() -> dict[str, tuple[str, int, int]]:
    """SLA level -> (availability pct as text, response minutes, restore minutes), as the
    warranty card of the delivery package states them (FaultPolicy, a few rows)."""
    return {
        p.sla_level: (_pct_text(p.availability_pct), p.response_minutes, p.restore_minutes)
        for p in FaultPolicy.objects.all()
    }


def _pct_text(value: Decimal) -> str:
    """99.950 -> "99.95", 100.000 -> "100"."""
    return f"{value.normalize():f}"


@login_required
@require_GET
def delivery_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The delivery package (letter, delivery list, warranty card, guide, confirmation)."""
    from telekam.service.pdf import delivery_package_pdf

    task = _delivery(request, pk)
    service = task.order.service
    content = delivery_package_pdf(
        task=task,
        services=[service] if service is not None else [],
        hotline=getattr(settings, "TELEKAM_FAULT_HOTLINE", "10000"),
        commitments=fault_commitments(),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="delivery-{task.account.code}-{task.pk}.pdf"'
    )
    return response


# --- callbacks ------------------------------------------------------------------------------


def _callback(request: AuthedHttpRequest, pk: int) -> Callback:
    try:
        callback = selectors.callback_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    prefetch_related_objects([callback], *ITEMS_PREFETCH)
    return callback


def done_late(callback: Callback) -> bool:
    """Done after the end of its due day (in the operator's time zone)."""
    return callback.done_at is not None and timezone.localdate(callback.done_at) > callback.due_on


@login_required
@require_GET
def callback_queue(request: AuthedHttpRequest) -> HttpResponse:
    """The callback desk's list: open calls by due date (key accounts first), or the calls
    done; above it the coverage of the last 30 days."""
    show = _tab(request, (CallbackStatus.OPEN, CallbackStatus.DONE))
    today = clock.today()
    page = _page(request, selectors.callback_queue(user=request.user, status=show))
    rows = [{"c": c, "late": done_late(c)} for c in page.object_list]
    return render(
        request,
        "service/callback_queue.html",
        {
            "section": "service",
            "page_obj": page,
            "rows": rows,
            "show": show,
            "today": today,
            "coverage": selectors.callback_coverage(
                user=request.user, today=today, days=CALLBACK_COVERAGE_DAYS
            ),
            "can_record": access.can_do_callbacks(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def callback_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One call; the callback desk records it here, everyone else reads it."""
    callback = _callback(request, pk)
    can_record = access.can_do_callbacks(request.user)
    form: CallbackForm | None = None
    if request.method == "POST":
        if not can_record:
            raise DjangoPermissionDenied
        form = CallbackForm(request.POST)

        def run(data: dict[str, Any]) -> None:
            services.callback_record(
                actor=request.user,
                callback=callback,
                outcome=data["outcome"],
                contact_name=data["contact_name"],
                notes=data["notes"],
                expected_version=data["version"],
            )

        if submit(form, run):
            _recorded_message(request, callback)
            return redirect("service:callback_detail", pk)
        callback = _callback(request, pk)  # the failed call may have changed it in memory
    elif can_record and callback.status == CallbackStatus.OPEN:
        form = CallbackForm(initial={"version": callback.version})
    response = render(
        request,
        "service/callback_detail.html",
        {
            "section": "service",
            "callback": callback,
            "account": callback.account,
            "items": list(callback.items.all()),
            "form": form,
            "follow_up": _follow_up_of(callback),
            "late": done_late(callback),
            "overdue": callback.status == CallbackStatus.OPEN and callback.due_on < clock.today(),
        },
    )
    return _redisplay(response) if request.method == "POST" else response


def _follow_up_of(callback: Callback) -> FollowUp | None:
    try:
        return callback.follow_up
    except FollowUp.DoesNotExist:
        return None


def _recorded_message(request: AuthedHttpRequest, callback: Callback) -> None:
    follow_up = _follow_up_of(callback)
    if callback.outcome == CallbackOutcome.DISSATISFIED and follow_up is not None:
        messages.warning(
            request,
            _("回访已记录。客户不满意，已生成投诉跟进，转客户经理 %(owner)s 处理，时限 %(due)s。")
            % {"owner": follow_up.owner, "due": follow_up.due_on},
        )
    else:
        messages.success(request, _("回访已记录。"))


# --- follow-ups -----------------------------------------------------------------------------


def _follow_up(request: AuthedHttpRequest, pk: int) -> FollowUp:
    try:
        return selectors.follow_up_get_visible(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def follow_ups(request: AuthedHttpRequest) -> HttpResponse:
    """Dissatisfied callbacks to follow up: the AM its own, the lead its group, the head all."""
    show = _tab(request, ("open", "all"))
    page = _page(request, selectors.follow_up_list(user=request.user, open_only=show == "open"))
    return render(
        request,
        "service/follow_up_list.html",
        {
            "section": "service",
            "page_obj": page,
            "follow_ups": page.object_list,
            "show": show,
            "today": clock.today(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    follow_up = _follow_up(request, pk)
    can_close = access.can_close_follow_up(
        request.user, owner_id=follow_up.owner_id, account=follow_up.account
    )
    form: FollowUpCloseForm | None = None
    if request.method == "POST":
        if not can_close:
            raise DjangoPermissionDenied
        form = FollowUpCloseForm(request.POST)

        def run(data: dict[str, Any]) -> None:
            services.follow_up_close(
                actor=request.user,
                follow_up=follow_up,
                resolution=data["resolution"],
                expected_version=data["version"],
            )

        if submit(form, run):
            messages.success(
                request, _("已处理：%(name)s 的投诉跟进已关闭。") % {"name": follow_up.account.name}
            )
            return redirect("service:follow_ups")
        follow_up = _follow_up(request, pk)  # the failed call may have changed it in memory
    elif can_close and follow_up.status == FollowUpStatus.OPEN:
        form = FollowUpCloseForm(initial={"version": follow_up.version})
    callback = follow_up.callback
    prefetch_related_objects([callback], *ITEMS_PREFETCH, "done_by")
    response = render(
        request,
        "service/follow_up_detail.html",
        {
            "section": "service",
            "follow_up": follow_up,
            "callback": callback,
            "account": follow_up.account,
            "items": list(callback.items.all()),
            "form": form,
            "overdue": follow_up.status == FollowUpStatus.OPEN and follow_up.due_on < clock.today(),
        },
    )
    return _redisplay(response) if request.method == "POST" else response
