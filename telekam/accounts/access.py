"""Who sees and changes which accounts: the one place the rule lives (domain §2).

Every page, API endpoint, export and selector that touches account data asks here.
- account manager: the accounts it owns or is on the virtual team of;
- group lead and pre-sales: the accounts of their industry group;
- department head, analyst, administrator: every account;
- service desk and operations: every account, read-only, without contract prices,
  discounts, strategy or financial notes, and competitor information.
Editing: the AM for its own accounts (and virtual-team accounts), the group lead for its
group, the department head and the administrator for all; the others read only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from telekam.accounts.models import Account, VirtualTeamMember
from telekam.org.models import Role

SEES_ALL = {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN, Role.SERVICE_DESK, Role.OPERATIONS}
NO_CONFIDENTIAL = {Role.SERVICE_DESK, Role.OPERATIONS}
EDITS_ALL = {Role.DEPARTMENT_HEAD, Role.ADMIN}


def _role(user: Any) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.role


def scope_q(user: Any) -> Q | None:
    """The filter on Account for what `user` may see; None means every account."""
    role = _role(user)
    if role is None:
        return Q(pk__in=[])
    if role in SEES_ALL:
        return None
    if role in (Role.GROUP_LEAD, Role.PRESALES):
        return Q(group_id=user.group_id) if user.group_id else Q(pk__in=[])
    if role == Role.ACCOUNT_MANAGER:
        on_team = VirtualTeamMember.objects.filter(user_id=user.pk).values("account_id")
        return Q(owner_id=user.pk) | Q(pk__in=on_team)
    return Q(pk__in=[])


def accounts_visible_to(user: Any) -> QuerySet[Account]:
    q = scope_q(user)
    qs = Account.objects.all()
    return qs if q is None else qs.filter(q)


def filter_by_account_scope(qs: QuerySet[Any], user: Any, *, via: str = "account") -> QuerySet[Any]:
    """Restrict a queryset of things that belong to an account (contacts, services...)."""
    q = scope_q(user)
    if q is None:
        return qs
    return qs.filter(**{f"{via}__in": Account.objects.filter(q).values("pk")})


def can_view_account(user: Any, account: Account) -> bool:
    return accounts_visible_to(user).filter(pk=account.pk).exists()


def can_edit_account(user: Any, account: Account) -> bool:
    role = _role(user)
    if role in EDITS_ALL:
        return True
    if role == Role.GROUP_LEAD:
        return bool(user.group_id) and account.group_id == user.group_id
    if role == Role.ACCOUNT_MANAGER:
        return (
            account.owner_id == user.pk
            or VirtualTeamMember.objects.filter(account_id=account.pk, user_id=user.pk).exists()
        )
    return False


def can_create_account(user: Any) -> bool:
    return _role(user) in EDITS_ALL | {Role.GROUP_LEAD, Role.ACCOUNT_MANAGER}


def sees_confidential(user: Any) -> bool:
    """Contract prices, discounts, strategy, financial and competitor information."""
    role = _role(user)
    return role is not None and role not in NO_CONFIDENTIAL


def can_import_billing(user: Any) -> bool:
    return _role(user) in {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}


def can_review_grades(user: Any) -> bool:
    """Build the yearly list and see the boundary band across the department."""
    return _role(user) in {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}


def can_approve_grades(user: Any) -> bool:
    """Approve the yearly key-account list and mid-year proposals: the department head."""
    return _role(user) == Role.DEPARTMENT_HEAD


def can_propose_grade(user: Any, account: Account) -> bool:
    return can_edit_account(user, account)


def navigation_for(user: Any) -> dict[str, bool]:
    return {
        "billing": can_import_billing(user),
        "grading": can_review_grades(user),
        "proposals": can_review_grades(user)
        or _role(user) in {Role.GROUP_LEAD, Role.ACCOUNT_MANAGER},
        "create_account": can_create_account(user),
    }
