"""Provisioning orders and their compensation forms (domain §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from telekam.accounts.models import Account, ServiceInUse
from telekam.billing.models import BillingCredit
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.errors import ApplicationError
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create
from telekam.org.models import User
from telekam.service import access
from telekam.service.errors import ServiceErrorCode
from telekam.service.models import (
    CallbackReason,
    CompensationForm,
    CompensationStatus,
    OrderStatus,
    ProvisioningOrder,
    ProvisioningPolicy,
    RequestKind,
    RequestStatus,
    ResponsibleSegment,
)
from telekam.service.selectors.sla import CENT, compensation_for
from telekam.service.services.aftercare import callback_event_add, delivery_open
from telekam.service.services.common import (
    bad_transition,
    check_version,
    next_number,
    not_after_today,
    require,
    save_new,
    save_versioned,
)
from telekam.service.services.requests import request_create, set_status

MAX_SCAN_BYTES = 10 * 1024 * 1024
SCAN_TYPES = {".pdf", ".png", ".jpg", ".jpeg"}


@transaction.atomic
def order_accept(
    *,
    actor: User,
    account: Account,
    product: Product,
    sla_class: str,
    accepted_on: dt.date,
    one_time_fee: Decimal | None = None,
    monthly_fee: Decimal = Decimal("0.00"),
    sla_level: str = "bronze",
    circuit_number: str = "",
    bandwidth_mbps: Decimal | None = None,
    a_end: str = "",
    z_end: str = "",
    description: str = "",
    channel: str = "am",
    contact_name: str = "",
    contact_phone: str = "",
) -> ProvisioningOrder:
    """Accept an order: its request, and the order with its deadline on the working-day
    calendar (N working days after the day of acceptance, that day not counted). The
    one-time fee defaults to the catalogue fee times the class's price factor."""
    require(access.can_accept_order(actor, account))
    policy = ProvisioningPolicy.objects.filter(product=product, sla_class=sla_class).first()
    if policy is None:
        raise ApplicationError(
            _("产品“%(p)s”没有该时限等级的开通政策。") % {"p": product},
            code=ServiceErrorCode.NO_POLICY,
            field="sla_class",
        )
    not_after_today(accepted_on, field="accepted_on")
    if one_time_fee is None:
        one_time_fee = (product.list_one_time_fee * policy.price_factor).quantize(CENT)
    due = working_calendar(start=accepted_on).add_working_days(accepted_on, policy.working_days)
    request = request_create(
        actor=actor,
        account=account,
        kind=RequestKind.ORDER,
        subject=_("%(product)s开通（%(cls)s）")
        % {"product": product.display_name, "cls": policy.get_sla_class_display()},
        description=description,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        owner=actor,
        status=RequestStatus.IN_PROGRESS,
    )
    order = ProvisioningOrder(
        request=request,
        account=account,
        product=product,
        sla_class=sla_class,
        sla_level=sla_level,
        working_days=policy.working_days,
        price_factor=policy.price_factor,
        compensation_rate=policy.compensation_rate,
        one_time_fee=one_time_fee,
        monthly_fee=monthly_fee,
        circuit_number=circuit_number,
        bandwidth_mbps=bandwidth_mbps,
        a_end=a_end,
        z_end=z_end,
        accepted_on=accepted_on,
        deadline=due.date,
        deadline_provisional=due.provisional,
    )
    return save_new(order)


@transaction.atomic
def order_activate(
    *,
    actor: User,
    order: ProvisioningOrder,
    activated_on: dt.date,
    expected_version: int,
    circuit_number: str = "",
) -> ProvisioningOrder:
    """Operations records the activation: the service in use appears on the account, the
    working days late are counted (after the deadline, up to and including the activation
    day), a late order gets its compensation form as a draft, a key account headquarters
    gets its delivery task, and the callback desk gets its call."""
    require(access.can_activate_order(actor))
    # Lock the row and check the version the agent acted on before anything is created:
    # a second agent on a stale page gets a Conflict, not a clash on the circuit number.
    check_version(ProvisioningOrder.objects.select_for_update().get(pk=order.pk), expected_version)
    check_version(order, expected_version)
    if order.status != OrderStatus.OPEN:
        raise bad_transition(_("只有施工中的工单可以登记开通。"))
    if activated_on < order.accepted_on:
        raise ApplicationError(
            _("开通日期不能早于受理日期。"),
            code=ServiceErrorCode.ACTIVATED_BEFORE_ACCEPTED,
            field="activated_on",
        )
    not_after_today(activated_on, field="activated_on")
    number = (circuit_number or order.circuit_number).strip()
    if not number:
        raise ApplicationError(_("请填写电路/线路号。"), field="circuit_number")
    late = working_calendar(start=order.accepted_on, end=activated_on).working_days_after(
        order.deadline, activated_on
    )
    service = ServiceInUse(
        account=order.account,
        product=order.product,
        number=number,
        bandwidth_mbps=order.bandwidth_mbps,
        a_end=order.a_end,
        z_end=order.z_end,
        activated_on=activated_on,
        monthly_fee=order.monthly_fee,
        sla_level=order.sla_level,
    )
    save_new(service)
    order.status = OrderStatus.ACTIVATED
    order.activated_on = activated_on
    order.working_days_late = late.days
    order.circuit_number = number
    order.service = service
    save_versioned(
        order,
        expected_version=expected_version,
        fields=["status", "activated_on", "working_days_late", "circuit_number", "service"],
    )
    set_status(
        actor=actor,
        request=order.request,
        to_status=RequestStatus.RESOLVED,
        note=_("已开通，电路号 %(n)s") % {"n": number},
    )
    if late.days:
        compensation_draft(order=order)
    delivery_open(order=order)
    callback_event_add(
        account=order.account, reason=CallbackReason.ACTIVATION, order=order, event_on=activated_on
    )
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=order,
        account=order.account,
        summary=(
            _("%(p)s %(n)s 开通，超时 %(d)d 个工作日") if late.days else _("%(p)s %(n)s 按时开通")
        )
        % {"p": order.product, "n": number, "d": late.days},
    )
    return order


@transaction.atomic
def order_cancel(
    *, actor: User, order: ProvisioningOrder, expected_version: int, reason: str
) -> ProvisioningOrder:
    require(access.can_accept_order(actor, order.account) or access.can_activate_order(actor))
    check_version(order, expected_version)
    if order.status != OrderStatus.OPEN:
        raise bad_transition(_("只有施工中的工单可以撤单。"))
    if not reason.strip():
        raise ApplicationError(_("请填写撤单原因。"), field="reason")
    order.status = OrderStatus.CANCELLED
    save_versioned(order, expected_version=expected_version, fields=["status"])
    set_status(
        actor=actor, request=order.request, to_status=RequestStatus.CANCELLED, note=reason.strip()
    )
    return order


def compensation_draft(*, order: ProvisioningOrder) -> CompensationForm:
    """The draft form of a late activation (idempotent: one form per order)."""
    existing = CompensationForm.objects.filter(order=order).first()
    if existing is not None:
        return existing
    days = order.working_days_late or 0
    amount, capped = compensation_for(
        rate=order.compensation_rate, days_late=days, fee=order.one_time_fee
    )
    form = CompensationForm(
        number=next_number("PF", clock.today()),
        order=order,
        account=order.account,
        one_time_fee=order.one_time_fee,
        rate=order.compensation_rate,
        working_days_late=days,
        amount=amount,
        capped=capped,
    )
    return save_new(form)


@transaction.atomic
def compensation_confirm(
    *,
    actor: User,
    form: CompensationForm,
    segment: str,
    finding: str,
    expected_version: int,
) -> CompensationForm:
    """Operations confirms the breach and names the segment responsible."""
    require(access.can_confirm_compensation(actor), _("只有运维部门可以确认赔付单。"))
    check_version(form, expected_version)
    if form.status != CompensationStatus.DRAFT:
        raise bad_transition(_("只有草稿状态的赔付单可以确认。"))
    if segment not in ResponsibleSegment.values:
        raise ApplicationError(_("请选择责任环节。"), field="segment")
    if segment == ResponsibleSegment.CUSTOMER:
        raise ApplicationError(
            _("延误由客户造成时不构成违约，请作废该赔付单并说明原因。"), field="segment"
        )
    form.status = CompensationStatus.CONFIRMED
    form.responsible_segment = segment
    form.finding = finding.strip()
    form.confirmed_by = actor
    form.confirmed_at = clock.now()
    save_versioned(
        form,
        expected_version=expected_version,
        fields=["status", "responsible_segment", "finding", "confirmed_by", "confirmed_at"],
    )
    order = form.order
    order.responsible_segment = segment
    save_versioned(order, expected_version=order.version, fields=["responsible_segment"])
    _form_audit(
        actor,
        form,
        _("运维确认赔付单 %(n)s（%(seg)s）")
        % {"n": form.number, "seg": form.get_responsible_segment_display()},
    )
    return form


@transaction.atomic
def compensation_void(
    *, actor: User, form: CompensationForm, reason: str, expected_version: int
) -> CompensationForm:
    require(access.can_confirm_compensation(actor), _("只有运维部门可以作废赔付单。"))
    check_version(form, expected_version)
    if form.status not in (CompensationStatus.DRAFT, CompensationStatus.CONFIRMED):
        raise bad_transition(_("客户已签字的赔付单不能作废。"))
    if not reason.strip():
        raise ApplicationError(_("请填写作废原因。"), field="reason")
    form.status = CompensationStatus.VOID
    form.void_reason = reason.strip()
    save_versioned(form, expected_version=expected_version, fields=["status", "void_reason"])
    _form_audit(actor, form, _("赔付单 %(n)s 作废：%(r)s") % {"n": form.number, "r": reason})
    return form


@transaction.atomic
def compensation_sign(
    *,
    actor: User,
    form: CompensationForm,
    signatory: str,
    signed_on: dt.date,
    scan: UploadedFile | None,
    expected_version: int,
) -> CompensationForm:
    """The AM records the customer's signature, with the scan of the signed form."""
    require(
        access.can_sign_compensation(actor, form.account),
        _("只有该客户的客户经理可以登记客户签字。"),
    )
    check_version(form, expected_version)
    if form.status != CompensationStatus.CONFIRMED:
        raise bad_transition(_("赔付单须先经运维确认，才能登记客户签字。"))
    if not signatory.strip():
        raise ApplicationError(_("请填写客户签字人。"), field="signatory")
    if scan is None:
        raise ApplicationError(
            _("请上传客户签字的扫描件。"), code=ServiceErrorCode.SIGNATURE_MISSING, field="scan"
        )
    name = (scan.name or "").lower()
    if not any(name.endswith(ext) for ext in SCAN_TYPES) or (scan.size or 0) > MAX_SCAN_BYTES:
        raise ApplicationError(_("扫描件须为 PDF、PNG 或 JPG，且不超过 10 MB。"), field="scan")
    not_after_today(signed_on, field="signed_on")
    if form.confirmed_at and signed_on < timezone.localdate(form.confirmed_at):
        raise ApplicationError(_("签字日期不能早于运维确认日期。"), field="signed_on")
    form.signature_scan.save(f"{form.number}{name[name.rfind('.') :]}", scan, save=False)
    form.status = CompensationStatus.SIGNED
    form.customer_signatory = signatory.strip()
    form.signed_on = signed_on
    form.signed_by = actor
    save_versioned(
        form,
        expected_version=expected_version,
        fields=["status", "customer_signatory", "signed_on", "signed_by", "signature_scan"],
    )
    _form_audit(actor, form, _("客户签字确认赔付单 %(n)s") % {"n": form.number})
    return form


@transaction.atomic
def compensation_settle(
    *, actor: User, form: CompensationForm, month: dt.date, expected_version: int
) -> CompensationForm:
    """The department head settles a signed form as a credit on the account's bill."""
    require(access.can_settle_compensation(actor), _("只有部门经理可以结算赔付单。"))
    check_version(form, expected_version)
    if form.status != CompensationStatus.SIGNED:
        raise bad_transition(_("客户签字之前不能结算。"))
    month = month.replace(day=1)
    credit = BillingCredit(
        account=form.account,
        month=month,
        amount=form.amount,
        reason=_("开通超时赔付"),
        reference=form.number,
        created_by=actor,
    )
    save_new(credit)
    form.status = CompensationStatus.SETTLED
    form.settled_by = actor
    form.settled_at = clock.now()
    form.credit = credit
    save_versioned(
        form,
        expected_version=expected_version,
        fields=["status", "settled_by", "settled_at", "credit"],
    )
    _form_audit(
        actor,
        form,
        _("赔付单 %(n)s 结算：%(m)s 账期减免 %(a)s 元")
        % {"n": form.number, "m": f"{month:%Y-%m}", "a": form.amount},
    )
    return form


def _form_audit(actor: Any, form: CompensationForm, summary: str) -> None:
    audit_entry_create(
        actor=actor, action=AuditAction.EVENT, target=form, account=form.account, summary=summary
    )
