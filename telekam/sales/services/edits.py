"""Edits of an opportunity's own data (not its stage: see `opportunity_move`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.core.errors import ApplicationError
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    check_version,
    diff,
    require,
    save_versioned,
    snapshot,
)
from telekam.org.models import User
from telekam.sales import access
from telekam.sales.errors import SalesErrorCode
from telekam.sales.models import Opportunity

__all__ = ["opportunity_update"]

_FIELDS = ("name", "expected_monthly", "expected_one_time", "close_date", "description")


@transaction.atomic
def opportunity_update(
    *, actor: User, opportunity: Opportunity, data: Mapping[str, Any], expected_version: int
) -> Opportunity:
    """Change the name, expected revenue, close date, description and products of an open
    deal. A closed (won or lost) deal keeps the figures it was closed with: the win/loss
    analysis counts them."""
    require(access.can_edit_opportunity(actor, opportunity))
    check_version(opportunity, expected_version)
    if not opportunity.is_open:
        raise ApplicationError(_("已结束的商机不能再修改。"), code=SalesErrorCode.CLOSED)
    fields = [f for f in _FIELDS if f in data]
    before = snapshot(opportunity, fields)
    for field in fields:
        setattr(opportunity, field, data[field])
    save_versioned(opportunity, expected_version=expected_version, fields=fields)
    changes = diff(before, snapshot(opportunity, fields))
    if "products" in data:
        old = sorted(str(p) for p in opportunity.products.all())
        opportunity.products.set(list(data["products"]))
        new = sorted(str(p) for p in opportunity.products.all())
        if old != new:
            changes["products"] = ["、".join(old), "、".join(new)]
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=opportunity,
        account=opportunity.account,
        summary=_("修改商机“%(n)s”") % {"n": opportunity.name},
        changes=changes,
    )
    return opportunity
