"""Solutions and versioned quotes; discounts beyond a role's limit go up for approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils.translation import gettext as _

from telekam.core import clock
from telekam.core.errors import ApplicationError
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    check_version,
    next_number,
    notification_send,
    require,
    save_new,
    save_versioned,
)
from telekam.org.models import Role, User
from telekam.sales import access
from telekam.sales.errors import SalesErrorCode
from telekam.sales.models import (
    OPEN_STAGES,
    DiscountLimit,
    Opportunity,
    Quote,
    QuoteLine,
    QuoteStatus,
    Solution,
    SolutionAttachment,
    Stage,
)
from telekam.service.services.common import bad_transition

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Who approves a discount beyond the submitter's own limit, lowest first: each up to its
# own limit.
CHAIN = (Role.GROUP_LEAD, Role.DEPARTMENT_HEAD)


@transaction.atomic
def solution_create(
    *,
    actor: User,
    opportunity: Opportunity,
    title: str,
    proposal: str = "",
    presales: User | None = None,
) -> Solution:
    require(access.can_work_solution(actor, opportunity))
    if presales is not None and presales.role != Role.PRESALES:
        raise ApplicationError(_("请选择售前工程师。"), field="presales")
    if presales is None and actor.role == Role.PRESALES:
        presales = actor
    solution = save_new(
        Solution(opportunity=opportunity, title=title, proposal=proposal, presales=presales)
    )
    _audit(actor, opportunity, _("新增方案“%(t)s”") % {"t": title})
    return solution


@transaction.atomic
def solution_update(
    *, actor: User, solution: Solution, data: Mapping[str, Any], expected_version: int
) -> Solution:
    require(access.can_work_solution(actor, solution.opportunity))
    check_version(solution, expected_version)
    for field in ("title", "proposal"):
        if field in data:
            setattr(solution, field, data[field])
    save_versioned(solution, expected_version=expected_version, fields=["title", "proposal"])
    return solution


@transaction.atomic
def attachment_add(*, actor: User, solution: Solution, upload: UploadedFile) -> SolutionAttachment:
    require(access.can_work_solution(actor, solution.opportunity))
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise ApplicationError(_("附件不能超过 20 MB。"), field="file")
    name = (upload.name or "attachment")[-200:]
    return SolutionAttachment.objects.create(
        solution=solution, file=upload, name=name, uploaded_by=actor
    )


def limit_for(role: str) -> Decimal:
    row = DiscountLimit.objects.filter(role=role).first()
    return row.max_discount_pct if row else Decimal("0")


def effective_discount(line: QuoteLine) -> Decimal:
    """The discount off the catalogue's list prices over the line's term, whether given as a
    discount or as lower unit prices: a price typed below list cannot slip past approval.
    (A waived one-time fee counts for its share of the whole line.)"""
    product = line.product
    listed = (
        product.list_monthly_fee * line.term_months + product.list_one_time_fee
    ) * line.quantity
    found = line.discount_pct
    if listed > 0:
        off = (100 - line.contract_value * 100 / listed).quantize(Decimal("0.01"))
        found = max(found, off)
    return max(found, Decimal("0"))


def max_discount(quote: Quote) -> Decimal:
    return max((effective_discount(line) for line in quote.lines.all()), default=Decimal("0"))


@transaction.atomic
def quote_create(
    *,
    actor: User,
    solution: Solution,
    lines: Sequence[Mapping[str, Any]],
    valid_until: dt.date,
    note: str = "",
) -> Quote:
    """A new version of the solution's price proposal; earlier versions not yet accepted are
    superseded. Each line: product, quantity, term_months, monthly_price and one_time_price
    (default: the catalogue's list prices), discount_pct."""
    opportunity = solution.opportunity
    require(access.can_work_solution(actor, opportunity))
    if opportunity.stage not in OPEN_STAGES:
        raise bad_transition(_("已结束的商机不能再报价。"))
    if not lines:
        raise ApplicationError(_("报价至少要有一行。"), code=SalesErrorCode.NO_LINES, field="lines")
    if valid_until < clock.today():
        raise ApplicationError(_("有效期不能早于今天。"), field="valid_until")
    revision = (solution.quotes.aggregate(m=Max("revision"))["m"] or 0) + 1
    solution.quotes.filter(
        status__in=[
            QuoteStatus.DRAFT,
            QuoteStatus.PENDING,
            QuoteStatus.APPROVED,
            QuoteStatus.REJECTED,
        ]
    ).update(status=QuoteStatus.SUPERSEDED)
    quote = save_new(
        Quote(
            solution=solution,
            number=next_number("QT", clock.today()),
            revision=revision,
            valid_until=valid_until,
            note=note,
        )
    )
    for data in lines:
        product = data["product"]
        if not product.is_active:
            raise ApplicationError(_("产品“%(p)s”已停售。") % {"p": product}, field="lines")
        monthly = data.get("monthly_price")
        one_time = data.get("one_time_price")
        line = QuoteLine(
            quote=quote,
            product=product,
            quantity=data.get("quantity") or 1,
            term_months=data.get("term_months") or 12,
            monthly_price=product.list_monthly_fee if monthly is None else monthly,
            one_time_price=product.list_one_time_fee if one_time is None else one_time,
            discount_pct=data.get("discount_pct") or Decimal("0"),
        )
        save_new(line)
    _audit(actor, opportunity, _("报价 %(n)s（第 %(r)d 版）") % {"n": quote.number, "r": revision})
    return quote


@transaction.atomic
def quote_submit(*, actor: User, quote: Quote, expected_version: int) -> Quote:
    """Within the submitter's own limit the quote is approved at once; beyond it, it waits
    for the lowest role whose limit covers the largest discount."""
    opportunity = quote.solution.opportunity
    require(access.can_work_solution(actor, opportunity))
    check_version(quote, expected_version)
    if quote.status != QuoteStatus.DRAFT:
        raise bad_transition(_("只有草稿可以提交。"))
    discount = max_discount(quote)
    now = clock.now()
    quote.submitted_by, quote.submitted_at = actor, now
    fields = ["status", "submitted_by", "submitted_at", "approver_role", "decided_by", "decided_at"]
    if discount <= limit_for(actor.role):
        quote.status = QuoteStatus.APPROVED
        quote.decided_by, quote.decided_at = actor, now
        quote.approver_role = ""
    else:
        approver = next((r for r in CHAIN if limit_for(r) >= discount), None)
        if approver is None:
            raise ApplicationError(
                _("折扣 %(d)s%% 超出任何审批权限。") % {"d": discount},
                code=SalesErrorCode.OVER_ANY_LIMIT,
            )
        quote.status = QuoteStatus.PENDING
        quote.approver_role = approver
    save_versioned(quote, expected_version=expected_version, fields=fields)
    if quote.status == QuoteStatus.PENDING:
        _ask_approvers(quote, opportunity, discount)
    _audit(
        actor,
        opportunity,
        _("提交报价 %(n)s：%(s)s") % {"n": quote.number, "s": quote.get_status_display()},
    )
    return quote


@transaction.atomic
def quote_decide(
    *, actor: User, quote: Quote, approve: bool, expected_version: int, note: str = ""
) -> Quote:
    """The next level up approves or rejects a discount beyond the submitter's limit; the
    submitter never decides its own, and nobody approves beyond their own limit."""
    opportunity = quote.solution.opportunity
    require(access.can_decide_quote(actor, opportunity), _("您无权审批该报价。"))
    check_version(quote, expected_version)
    if quote.status != QuoteStatus.PENDING:
        raise bad_transition(_("该报价不在待审批状态。"))
    if quote.submitted_by_id == actor.pk:
        raise ApplicationError(_("不能审批自己提交的报价。"), code=SalesErrorCode.OWN_APPROVAL)
    discount = max_discount(quote)
    if actor.role != Role.DEPARTMENT_HEAD and actor.role != quote.approver_role:
        raise ApplicationError(
            _("该报价需由%(r)s审批。") % {"r": Role(quote.approver_role).label},
            code=SalesErrorCode.OVER_OWN_LIMIT,
        )
    if approve and discount > limit_for(actor.role):
        raise ApplicationError(
            _("折扣 %(d)s%% 超出您的审批权限，请提交上一级审批。") % {"d": discount},
            code=SalesErrorCode.OVER_OWN_LIMIT,
        )
    if not approve and not note.strip():
        raise ApplicationError(_("驳回请填写意见。"), field="note")
    quote.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
    quote.decided_by, quote.decided_at, quote.decision_note = actor, clock.now(), note.strip()[:300]
    save_versioned(
        quote,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    if quote.submitted_by is not None:
        notification_send(
            user=quote.submitted_by,
            key=f"quote-decided:{quote.pk}",
            title=_("报价 %(n)s %(s)s") % {"n": quote.number, "s": quote.get_status_display()},
            body=quote.decision_note,
            url=reverse("sales:quote_detail", args=[quote.pk]),
        )
    _audit(
        actor,
        opportunity,
        _("审批报价 %(n)s：%(s)s") % {"n": quote.number, "s": quote.get_status_display()},
    )
    return quote


@transaction.atomic
def quote_accept(*, actor: User, quote: Quote, expected_version: int) -> Quote:
    """The customer accepts an approved quote; the deal moves on to the contract stage."""
    opportunity = quote.solution.opportunity
    require(access.can_edit_opportunity(actor, opportunity))
    check_version(quote, expected_version)
    if opportunity.stage not in OPEN_STAGES:
        raise bad_transition(_("已结束的商机不能再接受报价。"))
    if quote.status != QuoteStatus.APPROVED:
        raise bad_transition(_("只有已批准的报价可以登记客户接受。"))
    if quote.valid_until < clock.today():
        raise bad_transition(_("报价已过有效期，请出新版本。"))
    from telekam.sales.models import Contract, ContractStatus

    if Contract.objects.filter(opportunity=opportunity, status=ContractStatus.SIGNED).exists():
        raise bad_transition(_("合同已签订，不能再接受其他报价。"))
    Quote.objects.filter(solution__opportunity=opportunity, status=QuoteStatus.ACCEPTED).update(
        status=QuoteStatus.SUPERSEDED, version=F("version") + 1
    )
    # a draft contract of the quote it replaces goes with it (nothing was created from it)
    Contract.objects.filter(opportunity=opportunity, status=ContractStatus.DRAFT).delete()
    quote.status = QuoteStatus.ACCEPTED
    save_versioned(quote, expected_version=expected_version, fields=["status"])
    _audit(actor, opportunity, _("客户接受报价 %(n)s") % {"n": quote.number})
    if opportunity.stage in (Stage.NEED, Stage.SOLUTION, Stage.NEGOTIATION):
        from telekam.sales.services.pipeline import opportunity_move

        opportunity.refresh_from_db()
        opportunity_move(
            actor=actor,
            opportunity=opportunity,
            to_stage=Stage.CONTRACT,
            expected_version=opportunity.version,
            note=_("客户接受报价 %(n)s") % {"n": quote.number},
        )
    if opportunity.account_id is not None:
        # the contract stage starts with the draft contract of the accepted quote
        from telekam.sales.services.contracts import contract_draft_for

        contract_draft_for(actor=actor, opportunity=opportunity)
    return quote


def _ask_approvers(quote: Quote, opportunity: Opportunity, discount: Decimal) -> None:
    approvers = User.objects.filter(is_active=True, role=quote.approver_role)
    if quote.approver_role == Role.GROUP_LEAD:
        approvers = approvers.filter(group_id=opportunity.group_id)
    url = reverse("sales:quote_detail", args=[quote.pk])
    for user in approvers.exclude(pk=quote.submitted_by_id or 0):
        notification_send(
            user=user,
            key=f"quote-approval:{quote.pk}",
            title=_("报价待审批（折扣 %(d)s%%）：%(o)s") % {"d": discount, "o": opportunity.name},
            url=url,
        )


def _audit(actor: Any, opportunity: Opportunity, summary: str) -> None:
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=opportunity,
        account=opportunity.account,
        summary=summary,
    )
