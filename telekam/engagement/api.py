"""JSON API of visits and calls, what an AM uses from the phone: the planned items it owes,
moving one within its period, logging a visit or call, the logs of an account, turning a
need found into an opportunity, and compliance against the standards (domain §6).

Reads go through `plans_visible_to` / `logs_visible_to` (an AM its own, a group lead its
group, the head and analysts everything): an id outside them is a 404, the same as a
missing one. Writes go through `telekam.engagement.services`, which check the right to
take the step (403), the step itself (400) and the version read (409). The service desk,
operations and pre-sales do not use visits at all (403 everywhere).

Every schema name starts with `Visit` (ninja merges schemas of the same class name).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import model_validator

from telekam.accounts import selectors as account_selectors
from telekam.accounts.api.common import UserRef
from telekam.accounts.models import Contact
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
from telekam.engagement import selectors, services
from telekam.engagement.models import ContactLog, PlannedContact
from telekam.org.models import Role, User
from telekam.service.api.common import AccountIdRef, Day, invalid, visible_account_by_id

router = Router(tags=["visits"])

USES_VISITS = {
    Role.ACCOUNT_MANAGER,
    Role.GROUP_LEAD,
    Role.DEPARTMENT_HEAD,
    Role.ANALYST,
    Role.ADMIN,
}
MAX_CONTACTS = 50
# A compliance window longer than this is a typing error (2062 for 2026), not a question.
MAX_SPAN = dt.timedelta(days=3 * 366)


def visits_user(request: Any) -> User:
    """The caller, if its role works with visits at all; otherwise 403."""
    user = actor(request)
    if user.role not in USES_VISITS:
        raise PermissionDenied(_("您的角色不使用走访模块。"))
    return user


def _plans(user: User) -> Any:
    return services.plans_visible_to(user).select_related("account", "owner")


def _logs(user: User) -> Any:
    return (
        services.logs_visible_to(user)
        .select_related("account", "author", "opportunity")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("pk", "name")))
    )


def _plan(user: User, plan_id: int) -> PlannedContact:
    item = _plans(user).filter(pk=plan_id).first()
    if item is None:
        raise NotFound()
    return item  # type: ignore[no-any-return]


def _log(user: User, log_id: int) -> ContactLog:
    log = _logs(user).filter(pk=log_id).first()
    if log is None:
        raise NotFound()
    return log  # type: ignore[no-any-return]


# --- schemas --------------------------------------------------------------------------

VisitKind = Literal["visit", "call"]


class VisitPlanOut(Schema):
    id: int
    account: AccountIdRef
    owner: UserRef
    kind: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    reason: str = Field(..., description="standard, major_event or renewal_due")
    note: str
    status: str
    log_id: int | None
    overdue: bool = Field(..., description="Still open and due before today")
    version: int

    @staticmethod
    def resolve_overdue(obj: PlannedContact) -> bool:
        return obj.status == "planned" and obj.due_on < clock.today()


class VisitPlanQuery(PageQuery):
    from_: Day | None = Field(None, alias="from", description="Due on or after")
    to: Day | None = Field(None, description="Due on or before")
    status: Literal["planned", "done"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> VisitPlanQuery:
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(_("结束日期不能早于开始日期。"))
        return self


class VisitMoveIn(InputSchema):
    due_on: Day = Field(..., description="A day of the item's period")
    version: int = version_field()


class VisitContactRef(Schema):
    id: int
    name: str


class VisitOpportunityRef(Schema):
    id: int
    number: str
    name: str
    stage: str


class VisitLogOut(Schema):
    id: int
    account: AccountIdRef
    author: UserRef
    kind: str
    happened_on: dt.date
    topics: str
    contacts: list[VisitContactRef]
    needs: str
    next_steps: str
    follow_up_on: dt.date | None
    opportunity: VisitOpportunityRef | None
    planned_id: int | None = Field(..., description="The planned item it fulfilled")
    created_at: dt.datetime

    @staticmethod
    def resolve_contacts(obj: ContactLog) -> list[Contact]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_planned_id(obj: ContactLog) -> int | None:
        if hasattr(obj, "_visit_planned_id"):  # attached in one query for a page
            return obj._visit_planned_id  # type: ignore[no-any-return]
        return PlannedContact.objects.filter(log=obj).values_list("pk", flat=True).first()


class VisitLogIn(InputSchema):
    account_id: Id
    kind: VisitKind
    happened_on: Day = Field(..., description="Not after today")
    topics: str = Field(..., min_length=1, max_length=500)
    contact_ids: list[Id] = Field([], max_length=MAX_CONTACTS, description="Of the same account")
    needs: str = Field("", max_length=5000)
    next_steps: str = Field("", max_length=300)
    follow_up_on: Day | None = None
    planned_id: Id | None = Field(
        None, description="The item it fulfils; default: the earliest open one of its period"
    )


class VisitLogQuery(PageQuery):
    account_id: Id | None = None


class VisitOpportunityIn(InputSchema):
    name: str = Field(
        ..., min_length=1, max_length=200, description="The app proposes the needs' first line"
    )


class VisitComplianceQuery(Schema):
    by: Literal["owner", "group", "grade"] = "owner"
    start: Day | None = Field(None, description="Default: the first day of this month")
    end: Day | None = Field(None, description="Default: the last day of this month")


class VisitComplianceRowOut(Schema):
    key: int | None = Field(..., description="User, group or grade id")
    label: str
    visits_owed: int
    visits_done: int
    calls_owed: int
    calls_done: int
    owed: int
    done: int
    pct: Decimal | None = Field(..., description="done / owed, %; null when nothing is owed")


# --- plans ----------------------------------------------------------------------------


@router.get("/visits/plans", response=Page[VisitPlanOut])
def plan_list(request: Any, query: Query[VisitPlanQuery]) -> dict[str, Any]:
    """The planned visits and calls the user sees (an AM its own, a group lead its group's,
    the head and analysts all), by due date."""
    rows = _plans(visits_user(request))
    if query.from_:
        rows = rows.filter(due_on__gte=query.from_)
    if query.to:
        rows = rows.filter(due_on__lte=query.to)
    if query.status:
        rows = rows.filter(status=query.status)
    return paginate(rows.order_by("due_on", "id"), query)


@router.post("/visits/plans/{plan_id}/move", response=VisitPlanOut)
def plan_move(request: Any, payload: VisitMoveIn, plan_id: int = id_path()) -> PlannedContact:
    """Move an open item to another day of its period (its AM, the group lead, the head)."""
    user = visits_user(request)
    item = services.plan_move(
        actor=user,
        item=_plan(user, plan_id),
        due_on=payload.due_on,
        expected_version=payload.version,
    )
    return item


# --- logs -----------------------------------------------------------------------------


@router.post("/visits/logs", response={201: VisitLogOut})
def log_create(request: Any, payload: VisitLogIn) -> ContactLog:
    """Log a visit or call: it fulfils `planned_id`, or else the account's earliest open
    item of the same kind whose period holds the day, and goes on the account's timeline."""
    user = visits_user(request)
    account = visible_account_by_id(request, payload.account_id, field="account_id")
    ids = list(dict.fromkeys(payload.contact_ids))
    contacts = list(Contact.objects.filter(pk__in=ids))
    if len(contacts) != len(ids):
        raise invalid("contact_ids", _("找不到部分接触人。"))
    planned = None
    if payload.planned_id is not None:
        planned = services.plans_visible_to(user).filter(pk=payload.planned_id).first()
        if planned is None:
            raise invalid("planned_id", _("找不到该计划，或您无权查看。"))
    log = services.contact_log_create(
        actor=user,
        account=account,
        kind=payload.kind,
        happened_on=payload.happened_on,
        topics=payload.topics,
        contacts=contacts,
        needs=payload.needs,
        next_steps=payload.next_steps,
        follow_up_on=payload.follow_up_on,
        planned=planned,
    )
    return _log(user, log.pk)


@router.get("/visits/logs", response=Page[VisitLogOut])
def log_list(request: Any, query: Query[VisitLogQuery]) -> dict[str, Any]:
    """Logged visits and calls the user sees, newest first; `account_id` narrows to one
    account (404 if the user does not see it)."""
    user = visits_user(request)
    rows = _logs(user)
    if query.account_id is not None:
        account = account_selectors.account_get_visible(user=user, pk=query.account_id)
        rows = rows.filter(account=account)
    page = paginate(rows.order_by("-happened_on", "-id"), query)
    planned = dict(
        PlannedContact.objects.filter(log__in=[log.pk for log in page["results"]]).values_list(
            "log_id", "pk"
        )
    )
    for log in page["results"]:
        log._visit_planned_id = planned.get(log.pk)
    return page


@router.post("/visits/logs/{log_id}/opportunity", response={201: VisitOpportunityRef})
def log_to_opportunity(request: Any, payload: VisitOpportunityIn, log_id: int = id_path()) -> Any:
    """One click: the need found on the visit becomes a proactive opportunity of the
    account (those who may log visits of the account)."""
    user = visits_user(request)
    log = _log(user, log_id)
    if not services.can_log(user, log.account):
        raise PermissionDenied(_("只有该客户的客户经理可以把需求转为商机。"))
    return services.contact_log_to_opportunity(actor=user, log=log, name=payload.name)


# --- compliance -----------------------------------------------------------------------


@router.get("/visits/compliance", response=list[VisitComplianceRowOut])
def compliance(request: Any, query: Query[VisitComplianceQuery]) -> list[Any]:
    """Visits and calls done against owed per AM, group or grade, for the items due between
    `start` and `end` (those due after today count only once done), worst first."""
    user = visits_user(request)
    today = clock.today()
    start = query.start or services.month_start(today)
    end = query.end or services.month_end(today)
    if end < start:
        raise invalid("end", _("结束日期不能早于开始日期。"))
    if end - start > MAX_SPAN:
        raise invalid("end", _("统计区间最长三年。"))
    return selectors.compliance(user=user, start=start, end=end, by=query.by, today=today)
