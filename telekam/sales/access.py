"""Who sees and changes which deals: the one place the rule lives.

Seeing: the department head, analysts and the administrator see every opportunity and
prospect; a group lead and pre-sales their group's; an AM the ones it owns and those on
accounts it may see. The service desk and operations see none (prices and discounts are
confidential).
Changing: the owner AM, the group lead of the group, the department head. Pre-sales of the
group also writes solutions and quotes. Discounts beyond a role's limit need the approval
of a role whose limit covers them (never the submitter); a group lead approves only in its
own group.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from telekam.accounts import access as account_access
from telekam.org.models import Role
from telekam.sales.models import Opportunity, Prospect

SEES_ALL = {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}


def _role(user: Any) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return str(user.role)


def opportunities_visible_to(user: Any) -> QuerySet[Opportunity]:
    role = _role(user)
    qs = Opportunity.objects.all()
    if role in SEES_ALL:
        return qs
    if role in (Role.GROUP_LEAD, Role.PRESALES):
        return qs.filter(group_id=user.group_id) if user.group_id else qs.none()
    if role == Role.ACCOUNT_MANAGER:
        accounts = account_access.accounts_visible_to(user).values("pk")
        return qs.filter(Q(owner=user) | Q(account__in=accounts))
    return qs.none()


def prospects_visible_to(user: Any) -> QuerySet[Prospect]:
    role = _role(user)
    qs = Prospect.objects.all()
    if role in SEES_ALL:
        return qs
    if role in (Role.GROUP_LEAD, Role.PRESALES):
        return qs.filter(group_id=user.group_id) if user.group_id else qs.none()
    if role == Role.ACCOUNT_MANAGER:
        return qs.filter(owner=user)
    return qs.none()


def can_use_sales(user: Any) -> bool:
    return _role(user) in SEES_ALL | {Role.GROUP_LEAD, Role.PRESALES, Role.ACCOUNT_MANAGER}


def can_create(user: Any) -> bool:
    return _role(user) in {Role.DEPARTMENT_HEAD, Role.GROUP_LEAD, Role.ACCOUNT_MANAGER}


def can_edit_opportunity(user: Any, opportunity: Opportunity) -> bool:
    role = _role(user)
    if role == Role.DEPARTMENT_HEAD:
        return True
    if role == Role.GROUP_LEAD:
        return bool(user.group_id) and opportunity.group_id == user.group_id
    if role == Role.ACCOUNT_MANAGER:
        if opportunity.owner_id == user.pk:
            return True
        return opportunity.account is not None and account_access.can_edit_account(
            user, opportunity.account
        )
    return False


def can_edit_prospect(user: Any, prospect: Prospect) -> bool:
    role = _role(user)
    if role == Role.DEPARTMENT_HEAD:
        return True
    if role == Role.GROUP_LEAD:
        return bool(user.group_id) and prospect.group_id == user.group_id
    return role == Role.ACCOUNT_MANAGER and prospect.owner_id == user.pk


def can_work_solution(user: Any, opportunity: Opportunity) -> bool:
    """Write solutions and quotes: the opportunity's editors and pre-sales of its group."""
    if can_edit_opportunity(user, opportunity):
        return True
    return (
        _role(user) == Role.PRESALES
        and bool(user.group_id)
        and opportunity.group_id == user.group_id
    )


def can_decide_quote(user: Any, opportunity: Opportunity) -> bool:
    """Who may approve at all (the amount is checked against the limit in the service)."""
    role = _role(user)
    if role == Role.DEPARTMENT_HEAD:
        return True
    return role == Role.GROUP_LEAD and bool(user.group_id) and opportunity.group_id == user.group_id
