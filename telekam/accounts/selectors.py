"""Reads of the account file, each restricted by `access` to what the user may see.

Every function here runs a fixed number of SQL queries whatever the number of rows.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from telekam.accounts import access
from telekam.accounts.models import (
    Account,
    CompetitorInfo,
    Contact,
    ContactLayer,
    MajorEvent,
    ServiceInUse,
    ServiceStatus,
    Site,
    VirtualTeamMember,
)
from telekam.core.errors import NotFound, PermissionDenied
from telekam.core.models import AuditEntry

SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "code": ("code",),
    "-code": ("-code",),
    "spend": ("avg_monthly_spend", "pk"),
    "-spend": ("-avg_monthly_spend", "pk"),
    "grade": ("grade__rank", "-avg_monthly_spend", "pk"),
    "-grade": ("-grade__rank", "-avg_monthly_spend", "pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}
DEFAULT_SORT = "-spend"


@dataclasses.dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    segment: str = ""
    grade: str = ""  # GradeBand code
    industry: str = ""
    owner: int | None = None
    group: int | None = None
    status: str = ""
    sort: str = DEFAULT_SORT


def account_list_visible_to(
    *, user: Any, filters: AccountFilters | None = None
) -> QuerySet[Account]:
    """The accounts `user` may see, searched, filtered and sorted; ready for a page."""
    f = filters or AccountFilters()
    qs = access.accounts_visible_to(user).select_related("owner", "group", "grade")
    term = f.q.strip()
    if term:
        digits = term.replace("-", "").replace(" ", "")
        match = Q(name__icontains=term) | Q(short_name__icontains=term) | Q(code__iexact=term)
        match |= Q(credit_code__iexact=term)
        match |= Q(pk__in=ServiceInUse.objects.filter(number__icontains=term).values("account_id"))
        if digits.isdigit() and len(digits) >= 4:
            match |= Q(phone__contains=term)
            match |= Q(
                pk__in=Contact.objects.filter(
                    Q(mobile__contains=digits) | Q(phone__contains=term)
                ).values("account_id")
            )
        qs = qs.filter(match)
    if f.segment:
        qs = qs.filter(segment=f.segment)
    if f.grade:
        qs = qs.filter(grade__code=f.grade)
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.group:
        qs = qs.filter(group_id=f.group)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by(*SORTS.get(f.sort, SORTS[DEFAULT_SORT]))


def account_get_visible(*, user: Any, pk: int | None = None, code: str | None = None) -> Account:
    """One account `user` may see, or NotFound (the same answer as for a missing one)."""
    qs = access.accounts_visible_to(user).select_related(
        "owner", "group", "grade", "parent", "root"
    )
    try:
        account = qs.get(pk=pk) if pk is not None else qs.get(code=code)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    account._checked_for_user = user.pk  # type: ignore[attr-defined]
    return account


def account_checked(*, user: Any, account: Account) -> Account:
    """`account` if it was read through `account_get_visible` for this same user in this
    request (no second query); otherwise the check runs (NotFound if not visible)."""
    if getattr(account, "_checked_for_user", None) == getattr(user, "pk", object()):
        return account
    return account_get_visible(user=user, pk=account.pk)


@dataclasses.dataclass(frozen=True)
class TreeNode:
    account: Account
    depth: int
    own_spend: Decimal
    rollup_spend: Decimal
    visible: bool


def account_tree(*, user: Any, account: Account) -> list[TreeNode]:
    """The whole group customer the account belongs to, depth-first, with spend rolled up.

    Nodes the user may not see are listed with their name only (`visible=False`), so the
    shape of the group is clear without opening what is not theirs.
    """
    members = list(
        Account.objects.filter(root_id=account.root_id or account.pk)
        .select_related("grade", "owner")
        .order_by("name")
    )
    if len(members) <= 1:
        return []
    visible_ids = set(
        access.accounts_visible_to(user)
        .filter(pk__in=[m.pk for m in members])
        .values_list("pk", flat=True)
    )
    children: dict[int | None, list[Account]] = defaultdict(list)
    for m in members:
        children[m.parent_id].append(m)
    rollup: dict[int, Decimal] = {}

    def total(node: Account) -> Decimal:
        value = node.avg_monthly_spend + sum((total(c) for c in children[node.pk]), Decimal("0"))
        rollup[node.pk] = value
        return value

    top = [m for m in members if m.parent_id is None]
    for t in top:
        total(t)
    ordered: list[TreeNode] = []

    def walk(node: Account, depth: int) -> None:
        ordered.append(
            TreeNode(
                account=node,
                depth=depth,
                own_spend=node.avg_monthly_spend,
                rollup_spend=rollup[node.pk],
                visible=node.pk in visible_ids,
            )
        )
        for c in children[node.pk]:
            walk(c, depth + 1)

    for t in top:
        walk(t, 0)
    return ordered


# Keys of an audit entry's `changes` that only users who see confidential data may read.
CONFIDENTIAL_CHANGE_KEYS = frozenset(
    ("discount_pct", "strategy_notes", "financial_notes", "monthly_fee", "monthly_price")
)
COMPETITOR_TARGET = CompetitorInfo._meta.label_lower


@dataclasses.dataclass(frozen=True)
class TimelineItem:
    """An audit entry as a given user may read it (confidential details removed)."""

    at: Any
    actor_name: str
    action: str
    target_type: str
    target: str
    summary: str
    changes: dict[str, Any]


def timeline_item(entry: AuditEntry, *, confidential: bool) -> TimelineItem:
    summary, target, changes = entry.summary, entry.target_repr, dict(entry.changes or {})
    if not confidential:
        if entry.target_type == COMPETITOR_TARGET:
            summary, target, changes = str(_("竞争对手信息有变更")), "", {}
        else:
            changes = {k: v for k, v in changes.items() if k not in CONFIDENTIAL_CHANGE_KEYS}
    return TimelineItem(
        at=entry.at,
        actor_name=entry.actor_name,
        action=entry.action,
        target_type=entry.target_type,
        target=target,
        summary=summary,
        changes=changes,
    )


ACCOUNT_TABS = ("contacts", "services", "org", "events", "competitors", "timeline")


@dataclasses.dataclass(frozen=True)
class AccountFile:
    """What the account page shows. The header is always read; each tab's records only when
    that tab is asked for (`tab`), so every request runs a small, fixed number of queries."""

    account: Account
    can_edit: bool
    confidential: bool
    services_count: int
    monthly_services_fee: Decimal
    contacts: list[Contact] = dataclasses.field(default_factory=list)
    contact_map: list[Contact] = dataclasses.field(default_factory=list)  # with the group's
    sites: list[Site] = dataclasses.field(default_factory=list)
    events: list[MajorEvent] = dataclasses.field(default_factory=list)
    competitors: list[CompetitorInfo] = dataclasses.field(default_factory=list)
    services: list[ServiceInUse] = dataclasses.field(default_factory=list)
    team: list[VirtualTeamMember] = dataclasses.field(default_factory=list)
    tree: list[TreeNode] = dataclasses.field(default_factory=list)
    timeline: list[TimelineItem] = dataclasses.field(default_factory=list)


_LAYER_ORDER = Case(
    *(When(layer=value, then=Value(i)) for i, value in enumerate(ContactLayer.values)),
    default=Value(len(ContactLayer.values)),
)


def account_file(
    *, user: Any, pk: int, tab: str | None = None, timeline_limit: int = 50
) -> AccountFile:
    """The account header, plus the records of `tab` (one of ACCOUNT_TABS) if given.
    NotFound if the user may not see the account; PermissionDenied for the competitors tab
    without the right to see confidential data."""
    account = account_get_visible(user=user, pk=pk)
    confidential = access.sees_confidential(user)
    active = account.services.filter(status=ServiceStatus.ACTIVE).aggregate(
        n=Count("pk"), fee=Sum("monthly_fee")
    )
    parts: dict[str, Any] = {}
    if tab == "contacts":
        contacts = list(
            account.contacts.select_related("reports_to", "our_counterpart", "site").order_by(
                _LAYER_ORDER, "-is_primary", "name"
            )
        )
        # A group customer's contact map spans every unit of the group the user may see.
        tree = account_tree(user=user, account=account)
        group_ids = [n.account.pk for n in tree if n.visible and n.account.pk != account.pk]
        group_contacts = (
            list(
                Contact.objects.filter(account_id__in=group_ids)
                .select_related("account", "our_counterpart", "site")
                .order_by(_LAYER_ORDER, "account__name", "-is_primary", "name")
            )
            if group_ids
            else []
        )
        layers = list(ContactLayer.values)
        parts["contacts"] = contacts
        parts["contact_map"] = sorted(
            contacts + group_contacts,
            key=lambda c: layers.index(c.layer) if c.layer in layers else len(layers),
        )
    elif tab == "services":
        parts["services"] = list(
            account.services.select_related("product", "site").order_by(
                "status", "product__sort_order", "number"
            )
        )
    elif tab == "org":
        parts["tree"] = account_tree(user=user, account=account)
        parts["team"] = list(account.team.select_related("user").order_by("role"))
        parts["sites"] = list(account.sites.all())
    elif tab == "events":
        parts["events"] = list(account.events.all()[:100])
    elif tab == "competitors":
        if not confidential:
            raise PermissionDenied()
        parts["competitors"] = list(account.competitors.all())
    elif tab == "timeline":
        parts["timeline"] = [
            timeline_item(e, confidential=confidential)
            for e in account.audit_entries.order_by("-at", "-id")[:timeline_limit]
        ]
    return AccountFile(
        account=account,
        can_edit=access.can_edit_account(user, account),
        confidential=confidential,
        services_count=active["n"] or 0,
        monthly_services_fee=active["fee"] or Decimal("0.00"),
        **parts,
    )


def contacts_visible_to(*, user: Any, account: Account | None = None) -> QuerySet[Contact]:
    qs = access.filter_by_account_scope(Contact.objects.select_related("account"), user)
    return qs.filter(account=account) if account is not None else qs


def services_visible_to(*, user: Any, account: Account | None = None) -> QuerySet[ServiceInUse]:
    qs = access.filter_by_account_scope(
        ServiceInUse.objects.select_related("account", "product", "site"), user
    )
    return qs.filter(account=account) if account is not None else qs


def account_timeline(*, user: Any, account: Account) -> QuerySet[AuditEntry]:
    account_get_visible(user=user, pk=account.pk)
    return AuditEntry.objects.filter(account=account).order_by("-at", "-id")
