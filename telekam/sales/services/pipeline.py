"""Prospects and opportunities: create, convert, move through the stages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import Account, DecisionRole, Segment
from telekam.accounts.services import account_create, contact_create
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    check_version,
    next_number,
    require,
    save_new,
    save_versioned,
)
from telekam.org.models import Role, User
from telekam.sales import access
from telekam.sales.errors import SalesErrorCode
from telekam.sales.models import (
    OPEN_STAGES,
    STAGE_PROBABILITY,
    LostReason,
    Opportunity,
    Prospect,
    QuoteStatus,
    Stage,
    StageChange,
)

PROSPECT_FIELDS = (
    "name",
    "credit_code",
    "industry",
    "city",
    "address",
    "contact_name",
    "contact_title",
    "contact_phone",
    "employees",
    "notes",
)
STAGE_ORDER: dict[str, int] = {stage: i for i, stage in enumerate(OPEN_STAGES)}
WIN_FROM = {Stage.NEGOTIATION, Stage.CONTRACT, Stage.IMPLEMENTATION}


@transaction.atomic
def prospect_create(*, actor: User, data: Mapping[str, Any], owner: User | None = None) -> Prospect:
    require(access.can_create(actor))
    owner = owner or actor
    if owner.group_id is None or owner.role not in (Role.ACCOUNT_MANAGER, Role.GROUP_LEAD):
        raise ApplicationError(_("负责人须为有行业组的客户经理或行业组长。"), field="owner")
    if actor.role == Role.ACCOUNT_MANAGER and owner.pk != actor.pk:
        raise PermissionDenied(_("客户经理只能登记自己负责的潜在客户。"))
    if actor.role == Role.GROUP_LEAD and owner.group_id != actor.group_id:
        raise PermissionDenied(_("行业组长只能为本组客户经理登记潜在客户。"))
    prospect = Prospect(owner=owner, group_id=owner.group_id)
    for field in PROSPECT_FIELDS:
        if field in data:
            setattr(prospect, field, data[field] if data[field] is not None else "")
    if prospect.employees == "":
        prospect.employees = None
    return save_new(prospect)


@transaction.atomic
def prospect_convert(
    *, actor: User, prospect: Prospect, expected_version: int, segment: str = Segment.KEY
) -> Account:
    """Make the prospect an account, carrying over what was typed, and move its
    opportunities onto the account."""
    require(access.can_edit_prospect(actor, prospect))
    check_version(prospect, expected_version)
    if prospect.account_id:
        raise ApplicationError(_("该潜在客户已转为客户。"), code=SalesErrorCode.ALREADY_CONVERTED)
    data: dict[str, Any] = {
        "name": prospect.name,
        "industry": prospect.industry,
        "city": prospect.city,
        "address": prospect.address,
        "employees": prospect.employees,
    }
    if prospect.credit_code:
        data["credit_code"] = prospect.credit_code
    account = account_create(actor=actor, data=data, owner=prospect.owner, segment=segment)
    if prospect.contact_name:
        _contact_carry_over(actor, account, prospect)
    prospect.account = account
    prospect.converted_at = clock.now()
    save_versioned(prospect, expected_version=expected_version, fields=["account", "converted_at"])
    Opportunity.objects.filter(prospect=prospect).update(account=account)
    # a deal the customer already accepted a quote for gets its draft contract now
    from telekam.sales.services.contracts import contract_draft_for

    for opportunity in Opportunity.objects.filter(prospect=prospect, stage=Stage.CONTRACT):
        if _accepted_quote_exists(opportunity):
            contract_draft_for(actor=actor, opportunity=opportunity)
    return account


def _contact_carry_over(actor: User, account: Account, prospect: Prospect) -> None:
    """The contact typed on the prospect becomes the account's first contact (a number
    that is neither a valid mobile nor a landline is left in the notes, not lost)."""
    phone = prospect.contact_phone.strip()
    data: dict[str, Any] = {
        "name": prospect.contact_name,
        "title": prospect.contact_title,
        "decision_role": DecisionRole.DECISION_MAKER,
    }
    if phone:
        data["mobile" if phone.startswith("1") and len(phone) == 11 else "phone"] = phone
    try:
        with transaction.atomic():
            contact_create(actor=actor, account=account, data=data)
    except ValidationFailed:
        data.pop("mobile", None)
        data.pop("phone", None)
        contact_create(actor=actor, account=account, data=data)


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    name: str,
    source: str,
    close_date: dt.date,
    account: Account | None = None,
    prospect: Prospect | None = None,
    products: Iterable[Product] = (),
    expected_monthly: Decimal = Decimal("0.00"),
    expected_one_time: Decimal = Decimal("0.00"),
    description: str = "",
) -> Opportunity:
    require(access.can_create(actor))
    if (account is None) == (prospect is None):
        raise ApplicationError(_("请选择客户或潜在客户（二选一）。"), field="account")
    if account is not None:
        from telekam.accounts import access as account_access

        require(account_access.can_edit_account(actor, account))
        owner, group_id = account.owner, account.group_id
    else:
        assert prospect is not None  # noqa: S101 (checked above)
        require(access.can_edit_prospect(actor, prospect))
        owner, group_id = prospect.owner, prospect.group_id
        if prospect.account_id:
            account, prospect = prospect.account, prospect
    opportunity = Opportunity(
        number=next_number("OP", clock.today()),
        name=name,
        account=account,
        prospect=prospect,
        owner=owner,
        group_id=group_id,
        source=source,
        close_date=close_date,
        expected_monthly=expected_monthly,
        expected_one_time=expected_one_time,
        description=description,
        probability=STAGE_PROBABILITY[Stage.NEED],
    )
    save_new(opportunity)
    opportunity.products.set(list(products))
    StageChange.objects.create(
        opportunity=opportunity, actor=actor, to_stage=Stage.NEED, note=_("新建商机")
    )
    _audit(actor, opportunity, _("新建商机“%(n)s”") % {"n": name})
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    actor: User,
    opportunity: Opportunity,
    to_stage: str,
    expected_version: int,
    note: str = "",
    lost_reason: str = "",
    lost_to: str = "",
    lost_note: str = "",
) -> Opportunity:
    """Move the deal to another stage. Forward and back between the open stages (a move
    back is recorded and the rounds of solution and negotiation are counted); won from
    negotiation onwards with a quote the customer accepted; lost from any open stage, with
    a reason (and the competitor that won, when a competitor did)."""
    require(access.can_edit_opportunity(actor, opportunity))
    check_version(opportunity, expected_version)
    before = opportunity.stage
    if before not in OPEN_STAGES:
        raise ApplicationError(
            _("已结束的商机不能再变更阶段。"), code=SalesErrorCode.CLOSED, field="to_stage"
        )
    if to_stage == before or to_stage not in Stage.values:
        raise ApplicationError(_("请选择另一个阶段。"), field="to_stage")
    fields = ["stage", "probability"]
    if to_stage == Stage.WON:
        if before not in WIN_FROM:
            raise ApplicationError(
                _("商务谈判之后才能赢单。"), code=SalesErrorCode.BAD_STAGE, field="to_stage"
            )
        if not _accepted_quote_exists(opportunity):
            raise ApplicationError(
                _("赢单需要客户已接受的报价。"),
                code=SalesErrorCode.NO_ACCEPTED_QUOTE,
                field="to_stage",
            )
        opportunity.closed_on = clock.today()
        fields.append("closed_on")
    elif to_stage == Stage.LOST:
        if lost_reason not in LostReason.values:
            raise ApplicationError(
                _("丢单须选择原因。"), code=SalesErrorCode.LOST_NEEDS_REASON, field="lost_reason"
            )
        if lost_reason == LostReason.COMPETITOR_SOLUTION and not lost_to.strip():
            raise ApplicationError(_("请填写赢单的竞争对手。"), field="lost_to")
        # a draft contract of a lost deal is never signed
        from telekam.sales.models import Contract, ContractStatus

        Contract.objects.filter(opportunity=opportunity, status=ContractStatus.DRAFT).delete()
        opportunity.lost_reason = lost_reason
        opportunity.lost_to = lost_to.strip()[:60]
        opportunity.lost_note = lost_note.strip()[:300]
        opportunity.closed_on = clock.today()
        fields += ["lost_reason", "lost_to", "lost_note", "closed_on"]
    backward = to_stage in STAGE_ORDER and STAGE_ORDER[to_stage] < STAGE_ORDER[before]
    if to_stage == Stage.SOLUTION:
        opportunity.solution_rounds += 1
        fields.append("solution_rounds")
    elif to_stage == Stage.NEGOTIATION:
        opportunity.negotiation_rounds += 1
        fields.append("negotiation_rounds")
    opportunity.stage = to_stage
    opportunity.probability = STAGE_PROBABILITY[Stage(to_stage)]
    save_versioned(opportunity, expected_version=expected_version, fields=fields)
    StageChange.objects.create(
        opportunity=opportunity,
        actor=actor,
        from_stage=before,
        to_stage=to_stage,
        backward=backward,
        note=(note or lost_note).strip()[:300],
    )
    _audit(
        actor,
        opportunity,
        _("商机“%(n)s”：%(a)s → %(b)s")
        % {"n": opportunity.name, "a": Stage(before).label, "b": Stage(to_stage).label},
    )
    if to_stage == Stage.WON:
        from telekam.sales.services.contracts import contract_draft_for

        contract_draft_for(actor=actor, opportunity=opportunity)
    return opportunity


def _accepted_quote_exists(opportunity: Opportunity) -> bool:
    from telekam.sales.models import Quote

    return Quote.objects.filter(
        solution__opportunity=opportunity, status=QuoteStatus.ACCEPTED
    ).exists()


def _audit(actor: Any, opportunity: Opportunity, summary: str) -> None:
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=opportunity,
        account=opportunity.account,
        summary=summary,
    )
