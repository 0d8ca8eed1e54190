"""Who sees and acts on churn warnings and retention cases (one place for the rule).

- Warnings and cases carry competitor information, which is confidential: the service desk
  and operations do not see them (accounts.access.sees_confidential), but they, like
  everybody who sees an account, may file field intelligence about it.
- The account's AMs, its group lead and the department head act on a warning and its case;
  the analyst reads everything; the head, the analyst and the administrator run the data
  jobs, import files and edit the rules and thresholds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from telekam.accounts import access as account_access
from telekam.accounts.models import Account
from telekam.org.models import Role
from telekam.retention.models import ChurnWarning, RetentionCase

ACTS = {Role.ACCOUNT_MANAGER, Role.GROUP_LEAD, Role.DEPARTMENT_HEAD}
RUNS = {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}


def _role(user: Any) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return str(user.role)


def sees_warnings(user: Any) -> bool:
    return _role(user) is not None and account_access.sees_confidential(user)


def warnings_visible_to(user: Any) -> QuerySet[ChurnWarning]:
    if not sees_warnings(user):
        return ChurnWarning.objects.none()
    return account_access.filter_by_account_scope(ChurnWarning.objects.all(), user)


def cases_visible_to(user: Any) -> QuerySet[RetentionCase]:
    if not sees_warnings(user):
        return RetentionCase.objects.none()
    return account_access.filter_by_account_scope(RetentionCase.objects.all(), user)


def can_act(user: Any, account: Account) -> bool:
    """Acknowledge, dismiss, open and work a case."""
    return _role(user) in ACTS and account_access.can_edit_account(user, account)


def can_report_field(user: Any, account: Account) -> bool:
    return _role(user) is not None and account_access.can_view_account(user, account)


def can_run_jobs(user: Any) -> bool:
    return _role(user) in RUNS


def can_see_analysis(user: Any) -> bool:
    return _role(user) in {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN, Role.GROUP_LEAD}
