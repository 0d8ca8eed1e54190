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
