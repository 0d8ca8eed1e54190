"""What each role sees at the service desk: queues, one request, forms, callbacks, the
monthly SLA report. Everything goes through `telekam.service.access.visible`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from telekam.accounts.models import Account, Segment, ServiceInUse
from telekam.core.errors import NotFound
from telekam.org.models import Role
from telekam.service import access
from telekam.service.models import (
    OPEN_STATUSES,
    Callback,
    CallbackStatus,
    CompensationForm,
    CompensationStatus,
    DeliveryTask,
    FollowUp,
    OrderStatus,
    ProvisioningOrder,
    RequestKind,
    ServiceRequest,
)
from telekam.service.selectors.faults import CircuitMonth, circuits_month, month_bounds
from telekam.service.selectors.sla import orders_standing

# Key accounts first in every queue, by star level (domain §5: "zero delay" for key accounts).
KEY_FIRST = Case(
    When(account__segment=Segment.KEY, then=Value(0)), default=Value(1), output_field=IntegerField()
)
QUEUE_ORDER = (KEY_FIRST, "-account__star_level", "opened_at", "id")


@dataclasses.dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    status: str = "open"  # open | closed | all | a RequestStatus value
    mine: bool = False
    q: str = ""
    group_id: int | None = None


def requests_visible_to(*, user: Any) -> QuerySet[ServiceRequest]:
    return access.visible(ServiceRequest.objects.all(), user)


def default_kinds(user: Any) -> tuple[str, ...]:
    """Operations works orders and faults; everyone else every kind."""
    if getattr(user, "role", None) == Role.OPERATIONS:
        return (RequestKind.ORDER, RequestKind.FAULT)
    return ()


def request_queue(*, user: Any, filters: QueueFilters) -> QuerySet[ServiceRequest]:
    """The queue `user` works from, key accounts first by star level, then oldest first."""
    qs = requests_visible_to(user=user).select_related(
        "account", "owner", "order", "order__product", "fault", "fault__service"
    )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    elif kinds := default_kinds(user):
        qs = qs.filter(kind__in=kinds)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif filters.status and filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.mine:
        qs = qs.filter(Q(owner=user) | Q(account__owner=user))
    if filters.group_id:
        qs = qs.filter(account__group_id=filters.group_id)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(number__iexact=term)
            | Q(subject__icontains=term)
            | Q(account__name__icontains=term)
            | Q(account__code__iexact=term)
        )
    return qs.order_by(*QUEUE_ORDER)


def request_get_visible(*, user: Any, pk: int) -> ServiceRequest:
    try:
        return (
            requests_visible_to(user=user)
            .select_related(
                "account",
                "account__owner",
                "owner",
                "opened_by",
                "order",
                "order__product",
                "order__service",
                "fault",
                "fault__service",
                "fault__service__product",
            )
            .get(pk=pk)
        )
    except (ServiceRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _get(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def order_get_visible(*, user: Any, pk: int) -> ProvisioningOrder:
    qs = access.visible(ProvisioningOrder.objects.all(), user).select_related(
        "account", "product", "request", "service"
    )
    return _get(qs, pk)


def compensation_get_visible(*, user: Any, pk: int) -> CompensationForm:
    qs = access.visible(CompensationForm.objects.all(), user).select_related(
        "account",
        "account__owner",
        "order",
        "order__product",
        "order__request",
        "confirmed_by",
        "signed_by",
        "settled_by",
        "credit",
    )
    return _get(qs, pk)


def compensation_list(*, user: Any, status: str = "") -> QuerySet[CompensationForm]:
    qs = access.visible(CompensationForm.objects.all(), user).select_related(
        "account", "order", "order__product"
    )
    if status == "pending":
        qs = qs.exclude(status__in=[CompensationStatus.SETTLED, CompensationStatus.VOID])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def delivery_get_visible(*, user: Any, pk: int) -> DeliveryTask:
    qs = access.visible(DeliveryTask.objects.all(), user).select_related(
        "account", "owner", "order", "order__product", "order__service"
    )
    return _get(qs, pk)


def delivery_list(*, user: Any, open_only: bool = True) -> QuerySet[DeliveryTask]:
    qs = access.visible(DeliveryTask.objects.all(), user).select_related(
        "account", "owner", "order", "order__product"
    )
    if open_only:
        qs = qs.exclude(status="confirmed")
    return qs.order_by("due_on", "id")


def callback_get_visible(*, user: Any, pk: int) -> Callback:
    qs = access.visible(Callback.objects.all(), user).select_related("account", "done_by")
    return _get(qs, pk)


def callback_queue(*, user: Any, status: str = CallbackStatus.OPEN) -> QuerySet[Callback]:
    qs = (
        access.visible(Callback.objects.all(), user)
        .select_related("account", "account__owner", "done_by")
        .prefetch_related("items", "items__order__product", "items__fault__service")
    )
    if status:
        qs = qs.filter(status=status)
    if status == CallbackStatus.DONE:
        return qs.order_by("-done_at", "-id")
    return qs.order_by("due_on", KEY_FIRST, "-account__star_level", "id")


def follow_up_list(*, user: Any, open_only: bool = True) -> QuerySet[FollowUp]:
    qs = access.visible(FollowUp.objects.all(), user).select_related("account", "owner", "callback")
    if getattr(user, "role", None) == Role.ACCOUNT_MANAGER:
        qs = qs.filter(owner=user)
    if open_only:
        qs = qs.filter(status="open")
    return qs.order_by("due_on", "id")


def follow_up_get_visible(*, user: Any, pk: int) -> FollowUp:
    qs = access.visible(FollowUp.objects.all(), user).select_related("account", "owner", "callback")
    return _get(qs, pk)


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Callbacks done on time against those due (domain §5: 100 % is the standard)."""

    start: dt.date
    end: dt.date
    due: int
    on_time: int
    late: int  # done after their due date
    missed: int  # past due and still not done

    @property
    def pct(self) -> Decimal | None:
        if not self.due:
            return None
        return (Decimal(self.on_time) * 100 / self.due).quantize(Decimal("0.1"))


def callback_coverage(*, user: Any, today: dt.date, days: int = 30) -> Coverage:
    """Coverage of the callbacks that fell due in the last `days` days up to today, for the
    accounts `user` sees: a call counts once it is done or its due day has passed (a call
    due today and not yet made is not missed yet). Two queries."""
    start = today - dt.timedelta(days=days - 1)
    qs = (
        access.visible(Callback.objects.all(), user)
        .filter(due_on__gte=start, due_on__lte=today)
        .filter(Q(status=CallbackStatus.DONE) | Q(due_on__lt=today))
    )
    tz = month_bounds(today)[0].tzinfo  # the operator's zone: done_at is compared by day
    figures = qs.aggregate(
        due=Count("pk"),
        done=Count("pk", filter=Q(status=CallbackStatus.DONE)),
        missed=Count("pk", filter=Q(status=CallbackStatus.OPEN)),
    )
    on_time = sum(
        1
        for due_on, done_at in qs.filter(status=CallbackStatus.DONE).values_list(
            "due_on", "done_at"
        )
        if done_at is not None and done_at.astimezone(tz).date() <= due_on
    )
    return Coverage(
        start=start,
        end=today,
        due=figures["due"],
        on_time=on_time,
        late=figures["done"] - on_time,
        missed=figures["missed"],
    )


@dataclasses.dataclass(frozen=True)
class OrderLine:
    order: ProvisioningOrder
    on_time: bool | None  # None: open and not yet due
    working_days_late: int | None
    compensation: Decimal | None


@dataclasses.dataclass(frozen=True)
class SlaReport:
    """One account's month against its SLA: availability per circuit, orders due in the
    month and whether they were on time, compensation and credits."""

    account: Account
    month: dt.date
    circuits: list[CircuitMonth]
    orders: list[OrderLine]
    faults_count: int
    orders_due: int
    orders_on_time: int
    compensation_total: Decimal
    credit_total: Decimal


def sla_report(*, account: Account, month: dt.date, today: dt.date) -> SlaReport:
    """The caller has checked that the user sees `account`. A fixed number of queries."""
    month = month.replace(day=1)
    start, end = month_bounds(month)
    last_day = (end - dt.timedelta(days=1)).date()
    services = list(
        ServiceInUse.objects.filter(account=account, activated_on__lte=last_day)
        .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gte=month))
        .select_related("product")
        .order_by("product__sort_order", "number")
    )
    circuits = circuits_month(services=services, month=month)
    orders = list(
        ProvisioningOrder.objects.filter(
            account=account, deadline__gte=month, deadline__lte=last_day
        )
        .exclude(status=OrderStatus.CANCELLED)
        .select_related("product", "compensation")
        .order_by("deadline", "id")
    )
    standing = orders_standing(orders=orders, today=min(today, last_day))
    lines = []
    for order in orders:
        s = standing[order.pk]
        form = getattr(order, "compensation", None)
        if order.status == OrderStatus.ACTIVATED:
            on_time: bool | None = s.working_days_late == 0
        else:
            on_time = False if s.is_late else None
        if form is not None and form.status != CompensationStatus.VOID:
            amount: Decimal | None = form.amount
        elif form is not None:
            amount = Decimal("0.00")
        else:
            amount = s.compensation if s.is_late else None
        lines.append(
            OrderLine(
                order=order,
                on_time=on_time,
                working_days_late=s.working_days_late if on_time is not None else None,
                compensation=amount,
            )
        )
    faults_count = account.faults.filter(reported_at__gte=start, reported_at__lt=end).count()
    return SlaReport(
        account=account,
        month=month,
        circuits=circuits,
        orders=lines,
        faults_count=faults_count,
        orders_due=sum(1 for line in lines if line.on_time is not None),
        orders_on_time=sum(1 for line in lines if line.on_time),
        compensation_total=sum(
            (line.compensation or Decimal(0) for line in lines), Decimal("0.00")
        ),
        credit_total=sum((c.credit for c in circuits), Decimal("0.00")),
    )


@dataclasses.dataclass(frozen=True)
class AccountService:
    """The service tab of the account page: open requests and SLA standing."""

    open_requests: list[ServiceRequest]
    open_orders: int
    late_orders: int
    open_faults: int
    pending_forms: list[CompensationForm]
    standing: dict[int, Any]


def account_service(*, account: Account, today: dt.date) -> AccountService:
    requests = list(
        ServiceRequest.objects.filter(account=account, status__in=OPEN_STATUSES)
        .select_related("owner", "order", "order__product", "fault", "fault__service")
        .order_by("opened_at", "id")[:50]
    )
    orders = [r.order for r in requests if r.kind == RequestKind.ORDER and hasattr(r, "order")]
    standing = orders_standing(orders=orders, today=today)
    forms = list(
        CompensationForm.objects.filter(account=account)
        .exclude(status__in=[CompensationStatus.SETTLED, CompensationStatus.VOID])
        .select_related("order", "order__product")
    )
    return AccountService(
        open_requests=requests,
        open_orders=len(orders),
        late_orders=sum(1 for s in standing.values() if s.is_late),
        open_faults=sum(1 for r in requests if r.kind == RequestKind.FAULT),
        pending_forms=forms,
        standing=standing,
    )
