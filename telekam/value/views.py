"""Pages of value assessment: the account page's value tab, and the inputs page (cost
pools and segment statistics) for the department head, analysts and administrator."""

from __future__ import annotations

from typing import Any

from telekam.accounts.models import Account
from telekam.value import selectors


def account_value_context(*, user: Any, account: Account) -> dict[str, Any]:
    """The value tab of the account page: the latest billed month's direct value, the cost
    allocated per resource and the equivalence (the tab is shown only to those who see
    financial information; the selector refuses the others)."""
    value = selectors.account_value(user=user, account_id=account.pk)
    return {"value": value, "direct": value.direct}
