"""Who sees which dashboard and who sets which target (domain §2, §8).

The dashboards show revenue, so they are for those who see value figures (not the service
desk or operations). Each sees the KPIs of the accounts it sees: the department head, the
analysts and the administrator the department's, and any group's or AM's; a group lead
(and pre-sales) its group's and its AMs'; an AM its own."""

from __future__ import annotations

from typing import Any

from telekam.org.models import Role, User
from telekam.value import access as value_access

DEPARTMENT = {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}


def _active(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def sees_dashboard(user: Any) -> bool:
    return value_access.sees_value(user)


def sees_department(user: Any) -> bool:
    return _active(user) and user.role in DEPARTMENT


def leads_group(user: Any) -> bool:
    return _active(user) and user.role == Role.GROUP_LEAD and bool(user.group_id)


def sees_group(user: Any, group_id: int) -> bool:
    if sees_department(user):
        return True
    return (
        sees_dashboard(user)
        and user.role in (Role.GROUP_LEAD, Role.PRESALES)
        and user.group_id == group_id
    )


def sees_owner(user: Any, owner: User) -> bool:
    if not sees_dashboard(user):
        return False
    if sees_department(user) or owner.pk == user.pk:
        return True
    return user.role in (Role.GROUP_LEAD, Role.PRESALES) and bool(
        user.group_id and owner.group_id == user.group_id
    )


def can_set_target(user: Any, *, level: str, group: Any = None, owner: Any = None) -> bool:
    if value_access.keeps_inputs(user):
        return True
    return (
        leads_group(user)
        and level == "owner"
        and owner is not None
        and (owner.group_id == user.group_id)
    )
