"""The SLA promises as data: the administrator or the department head changes them when the
operator's tariff changes. Orders already accepted keep the terms they were accepted on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.core.errors import Conflict
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create, diff, full_clean_or_raise, snapshot
from telekam.org.models import User
from telekam.service import access
from telekam.service.models import FaultPolicy, ProvisioningPolicy
from telekam.service.services.common import require

PROVISIONING_FIELDS = ("working_days", "price_factor", "compensation_rate")
FAULT_FIELDS = (
    "availability_pct",
    "response_minutes",
    "restore_minutes",
    "credit_step_pct",
    "credit_per_step",
    "credit_cap",
)


def _update(
    *,
    actor: User,
    model: type[Any],
    pk: int,
    fields: tuple[str, ...],
    data: Mapping[str, Any],
    seen: Mapping[str, Any],
) -> Any:
    """Write `data` if the row still holds what the editor saw (`seen`): two people editing
    the same promise never overwrite each other silently."""
    require(access.can_edit_policies(actor))
    policy = model.objects.select_for_update().get(pk=pk)
    current = snapshot(policy, fields)
    if any(str(current[f]) != str(seen.get(f)) for f in fields):
        raise Conflict(_("该政策已被他人修改，请刷新后重新修改。"))
    for field in fields:
        setattr(policy, field, data[field])
    full_clean_or_raise(policy)
    changes = diff(current, snapshot(policy, fields))
    if changes:
        policy.save(update_fields=list(fields))
        audit_entry_create(
            actor=actor,
            action=AuditAction.UPDATE,
            target=policy,
            summary=_("修改%(kind)s“%(name)s”")
            % {"kind": model._meta.verbose_name, "name": policy},
            changes=changes,
        )
    return policy


@transaction.atomic
def provisioning_policy_update(
    *, actor: User, pk: int, data: Mapping[str, Any], seen: Mapping[str, Any]
) -> ProvisioningPolicy:
    return _update(
        actor=actor,
        model=ProvisioningPolicy,
        pk=pk,
        fields=PROVISIONING_FIELDS,
        data=data,
        seen=seen,
    )


@transaction.atomic
def fault_policy_update(
    *, actor: User, pk: int, data: Mapping[str, Any], seen: Mapping[str, Any]
) -> FaultPolicy:
    return _update(actor=actor, model=FaultPolicy, pk=pk, fields=FAULT_FIELDS, data=data, seen=seen)
