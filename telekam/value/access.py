"""Who sees value figures and who keeps their inputs (domain §2, §8).

An account's value (revenue, allocated cost, profit, equivalence) is financial
information: those who see the account and its confidential information (not the service
desk or operations). The cost pools and segment statistics are kept by the department
head, the analysts and the administrator, who also see the department-wide figures."""

from __future__ import annotations

from typing import Any

from telekam.accounts import access as account_access
from telekam.org.models import Role

KEEPS_INPUTS = {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}


def sees_value(user: Any) -> bool:
    return account_access.sees_confidential(user)


def keeps_inputs(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in KEEPS_INPUTS)


def can_fill_sheet(user: Any, account: Any) -> bool:
    """The intangible-value sheet: whoever may edit the account (its AM and virtual team,
    its group lead, the department head, the administrator)."""
    return sees_value(user) and account_access.can_edit_account(user, account)


def can_review_sheet(user: Any, sheet: Any) -> bool:
    """The department head, or the account's group lead for a sheet it did not fill."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.role == Role.DEPARTMENT_HEAD:
        return True
    return (
        user.role == Role.GROUP_LEAD
        and bool(user.group_id)
        and sheet.account.group_id == user.group_id
        and sheet.filled_by_id != user.pk
    )


def can_enter_share(user: Any, account: Any) -> bool:
    """The share of wallet: the account's own AM, its group lead, the department head."""
    if not (sees_value(user) and user.is_authenticated and user.is_active):
        return False
    if user.role == Role.DEPARTMENT_HEAD:
        return True
    if user.role == Role.GROUP_LEAD:
        return bool(user.group_id) and account.group_id == user.group_id
    return user.role == Role.ACCOUNT_MANAGER and account.owner_id == user.pk
