"""Who may do what at the service desk: the one place the rule lives.

Seeing: a request, order, fault, form, delivery or callback is seen by whoever may see its
account (telekam.accounts.access): the AM its own accounts, the group lead and pre-sales
their group, the head, analysts, the service desk and operations every account.
Acting, each step by the role allowed to take it (domain §5):
- opening requests and accepting orders: the service desk, and whoever edits the account
  (its AM, the group lead, the head);
- working a request (status, owner, notes): the service desk, operations, the head, and
  whoever edits the account;
- activating orders, responding to and restoring faults: operations (the desk may take
  the fault's response and pauses too);
- compensation: operations confirms (naming the responsible segment) or voids; the AM of
  the account records the customer's signature; the department head settles;
- delivery: whoever edits the account; callbacks: the callback desk only; a follow-up:
  its AM, or whoever edits the account;
- importing satisfaction survey results: the service desk, the department head, analysts
  and the administrator; everyone else reads the results of the accounts they see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from telekam.accounts import access as account_access
from telekam.accounts.models import Account
from telekam.org.models import Role

DESK = {Role.SERVICE_DESK}
OPS = {Role.OPERATIONS}


def _role(user: Any) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return str(user.role)


def visible(qs: QuerySet[Any], user: Any, *, via: str = "account") -> QuerySet[Any]:
    """`qs` restricted to what belongs to accounts `user` may see."""
    return account_access.filter_by_account_scope(qs, user, via=via)


def can_use_desk(user: Any) -> bool:
    """Sees the service pages at all (everyone who can see some account)."""
    return _role(user) is not None


def can_open_request(user: Any, account: Account) -> bool:
    role = _role(user)
    if role in DESK | OPS | {Role.DEPARTMENT_HEAD}:
        return True
    return account_access.can_edit_account(user, account)


def can_accept_order(user: Any, account: Account) -> bool:
    role = _role(user)
    if role in DESK | {Role.DEPARTMENT_HEAD}:
        return True
    return account_access.can_edit_account(user, account)


def can_work_request(user: Any, account: Account) -> bool:
    role = _role(user)
    if role in DESK | OPS | {Role.DEPARTMENT_HEAD}:
        return True
    return account_access.can_edit_account(user, account)


def can_activate_order(user: Any) -> bool:
    return _role(user) in OPS


def can_work_fault(user: Any) -> bool:
    """Respond, pause and resume the clock."""
    return _role(user) in DESK | OPS


def can_restore_fault(user: Any) -> bool:
    return _role(user) in OPS


def can_confirm_compensation(user: Any) -> bool:
    """Confirm the breach and name the responsible segment, or void the form."""
    return _role(user) in OPS


def can_sign_compensation(user: Any, account: Account) -> bool:
    """Record the customer's signature: the account's AM (or its group lead)."""
    role = _role(user)
    if role not in {Role.ACCOUNT_MANAGER, Role.GROUP_LEAD}:
        return False
    return account_access.can_edit_account(user, account)


def can_settle_compensation(user: Any) -> bool:
    """The key-account department pays out: its head."""
    return _role(user) == Role.DEPARTMENT_HEAD


def can_deliver(user: Any, account: Account) -> bool:
    return account_access.can_edit_account(user, account)


def can_do_callbacks(user: Any) -> bool:
    return _role(user) in DESK


def can_close_follow_up(user: Any, *, owner_id: int, account: Account) -> bool:
    if _role(user) is None:
        return False
    return user.pk == owner_id or account_access.can_edit_account(user, account)


def can_edit_policies(user: Any) -> bool:
    return _role(user) in {Role.ADMIN, Role.DEPARTMENT_HEAD}


def can_import_surveys(user: Any) -> bool:
    """Import a satisfaction survey result file (满意度调查)."""
    return _role(user) in DESK | {Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN}
