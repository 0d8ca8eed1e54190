"""Contracts from accepted quotes, implementation projects, and the appraisal of a deal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from telekam.catalog.models import ProductFamily
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.errors import ApplicationError, Conflict
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    check_version,
    next_number,
    require,
    save_new,
    save_versioned,
)
from telekam.org.models import User
from telekam.sales import access
from telekam.sales.errors import SalesErrorCode
from telekam.sales.models import (
    Appraisal,
    Contract,
    ContractLine,
    ContractStatus,
    Opportunity,
    Project,
    ProjectKind,
    ProjectTask,
    Quote,
    QuoteStatus,
    Stage,
    TaskStatus,
)
from telekam.service.models import ProvisioningPolicy
from telekam.service.services import order_accept
from telekam.service.services.common import bad_transition, not_after_today

# Implementation task templates (domain §4), with the working days each usually takes.
TASK_TEMPLATES: dict[str, tuple[tuple[str, int], ...]] = {
    ProjectKind.FIXED: (("线路设计", 5), ("现场施工", 10), ("网络测试", 3)),
    ProjectKind.MOBILE: (
        ("套餐匹配", 3),
        ("选号与开户", 5),
        ("终端捆绑", 5),
        ("交付", 2),
    ),
}
CONTRACT_FIELDS = (
    "start_on",
    "term_months",
    "billing_method",
    "sla_class",
    "sla_level",
    "specification",
    "renewal_lead_days",
)


def _months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def contract_draft_for(*, actor: User, opportunity: Opportunity) -> Contract:
    """The draft contract of a won deal, from its accepted quote (idempotent). Called by
    `opportunity_move` inside its transaction, after its permission check."""
    quote = (
        Quote.objects.filter(solution__opportunity=opportunity, status=QuoteStatus.ACCEPTED)
        .select_related("solution")
        .prefetch_related("lines__product")
        .first()
    )
    if quote is None:
        raise ApplicationError(
            _("赢单需要客户已接受的报价。"), code=SalesErrorCode.NO_ACCEPTED_QUOTE
        )
    existing = Contract.objects.filter(quote=quote).first()
    if existing is not None:
        return existing
    if opportunity.account_id is None:
        raise ApplicationError(
            _("请先将潜在客户转为客户，再签合同。"), code=SalesErrorCode.PROSPECT_NOT_CONVERTED
        )
    account = opportunity.account
    assert account is not None  # noqa: S101
    term = max((line.term_months for line in quote.lines.all()), default=12)
    start = clock.today()
    contract = save_new(
        Contract(
            number=next_number("HT", clock.today()),
            opportunity=opportunity,
            quote=quote,
            account=account,
            our_party=getattr(settings, "TELEKAM_OPERATOR_NAME", "") or _("本公司"),
            customer_party=account.name,
            term_months=term,
            start_on=start,
            end_on=_months_later(start, term),
        )
    )
    for line in quote.lines.all():
        ContractLine.objects.create(
            contract=contract,
            product=line.product,
            quantity=line.quantity,
            monthly_fee=line.net_monthly,
            one_time_fee=line.net_one_time,
        )
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=contract,
        account=account,
        summary=_("合同 %(n)s 已按报价 %(q)s 起草") % {"n": contract.number, "q": quote.number},
    )
    return contract


@transaction.atomic
def contract_update(
    *, actor: User, contract: Contract, data: Mapping[str, Any], expected_version: int
) -> Contract:
    require(access.can_edit_opportunity(actor, contract.opportunity))
    check_version(contract, expected_version)
    if contract.status != ContractStatus.DRAFT:
        raise bad_transition(_("已签订的合同不能修改。"))
    for field in CONTRACT_FIELDS:
        if field in data:
            setattr(contract, field, data[field])
    contract.end_on = _months_later(contract.start_on, contract.term_months)
    save_versioned(contract, expected_version=expected_version, fields=[*CONTRACT_FIELDS, "end_on"])
    return contract


@transaction.atomic
def contract_sign(
    *,
    actor: User,
    contract: Contract,
    signed_on: dt.date,
    expected_version: int,
    activation_dates: Mapping[int, dt.date] | None = None,
) -> Contract:
    """Record the signature. Every line whose product has a provisioning promise at the
    contract's SLA class becomes that many provisioning orders at the service desk
    (accepted on the day of signing), with the contract's prices."""
    require(access.can_edit_opportunity(actor, contract.opportunity))
    check_version(contract, expected_version)
    if contract.status != ContractStatus.DRAFT:
        raise bad_transition(_("该合同已签订。"))
    not_after_today(signed_on, field="signed_on")
    contract.status = ContractStatus.SIGNED
    contract.signed_on = signed_on
    save_versioned(contract, expected_version=expected_version, fields=["status", "signed_on"])
    policies = set(
        ProvisioningPolicy.objects.filter(sla_class=contract.sla_class).values_list(
            "product_id", flat=True
        )
    )
    created = 0
    for line in contract.lines.select_related("product"):
        if activation_dates and line.pk in activation_dates:
            line.activation_on = activation_dates[line.pk]
            line.save(update_fields=["activation_on"])
        if (
            line.product_id not in policies
            or not line.product.has_circuit
            or line.product.family == ProductFamily.MOBILE  # numbers are opened, not built
        ):
            continue
        # split the line's fees over its units; the last unit takes the remaining cents
        per_unit = (line.one_time_fee / line.quantity).quantize(Decimal("0.01"), ROUND_DOWN)
        monthly = (line.monthly_fee / line.quantity).quantize(Decimal("0.01"), ROUND_DOWN)
        for i in range(line.quantity):
            last = i == line.quantity - 1
            order = order_accept(
                actor=actor,
                account=contract.account,
                product=line.product,
                sla_class=contract.sla_class,
                sla_level=contract.sla_level,
                accepted_on=signed_on,
                one_time_fee=line.one_time_fee - per_unit * (line.quantity - 1)
                if last
                else per_unit,
                monthly_fee=line.monthly_fee - monthly * (line.quantity - 1) if last else monthly,
                description=_("合同 %(n)s") % {"n": contract.number},
            )
            line.orders.add(order)
            created += 1
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=contract,
        account=contract.account,
        summary=_("合同 %(n)s 签订，生成开通工单 %(k)d 张") % {"n": contract.number, "k": created},
    )
    opportunity = contract.opportunity
    if opportunity.stage == Stage.CONTRACT:
        from telekam.sales.services.pipeline import opportunity_move

        opportunity_move(
            actor=actor,
            opportunity=opportunity,
            to_stage=Stage.IMPLEMENTATION,
            expected_version=opportunity.version,
            note=_("合同已签订"),
        )
    return contract


@transaction.atomic
def project_create(
    *,
    actor: User,
    contract: Contract,
    kind: str,
    name: str,
    manager: User,
    start_on: dt.date | None = None,
) -> Project:
    """An implementation project with the tasks of its template, due one after another in
    working days from `start_on`."""
    require(access.can_edit_opportunity(actor, contract.opportunity))
    if contract.status != ContractStatus.SIGNED:
        raise bad_transition(_("合同签订后才能建立实施项目。"))
    if kind not in TASK_TEMPLATES:
        raise ApplicationError(_("请选择项目类型。"), field="kind")
    project = save_new(Project(contract=contract, kind=kind, name=name, manager=manager))
    day = start_on or clock.today()
    calendar = working_calendar(start=day, end=day + dt.timedelta(days=120))
    for order, (task, days) in enumerate(TASK_TEMPLATES[kind]):
        day = calendar.add_working_days(day, days).date
        ProjectTask.objects.create(
            project=project, name=task, sort_order=order, owner=manager, due_on=day
        )
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=project,
        account=contract.account,
        summary=_("建立实施项目“%(n)s”") % {"n": name},
    )
    return project


@transaction.atomic
def task_update(
    *,
    actor: User,
    task: ProjectTask,
    expected_version: int,
    status: str,
    progress: int,
    owner: User | None = None,
    due_on: dt.date | None = None,
) -> ProjectTask:
    project = task.project
    require(
        access.can_edit_opportunity(actor, project.contract.opportunity)
        or actor.pk in (project.manager_id, task.owner_id)
    )
    check_version(task, expected_version)
    if status not in TaskStatus.values:
        raise ApplicationError(_("请选择状态。"), field="status")
    if owner is not None and not owner.is_active:
        raise ApplicationError(_("负责人已停用。"), field="owner")
    task.status = status
    task.progress = 100 if status == TaskStatus.DONE else min(max(progress, 0), 99)
    task.done_on = clock.today() if status == TaskStatus.DONE else None
    if owner is not None:
        task.owner = owner
    if due_on is not None:
        task.due_on = due_on
    save_versioned(
        task,
        expected_version=expected_version,
        fields=["status", "progress", "done_on", "owner", "due_on"],
    )
    return task


@transaction.atomic
def project_plan_upload(
    *, actor: User, project: Project, upload: UploadedFile, expected_version: int
) -> Project:
    require(
        access.can_edit_opportunity(actor, project.contract.opportunity)
        or actor.pk == project.manager_id
    )
    check_version(project, expected_version)
    if (upload.size or 0) > 20 * 1024 * 1024:
        raise ApplicationError(_("附件不能超过 20 MB。"), field="plan")
    project.plan.save((upload.name or "plan")[-100:], upload, save=False)
    project.plan_uploaded_at = clock.now()
    save_versioned(project, expected_version=expected_version, fields=["plan", "plan_uploaded_at"])
    return project


APPRAISAL_FIELDS = (
    "capex",
    "monthly_opex",
    "monthly_revenue",
    "one_time_revenue",
    "term_months",
    "discount_rate",
)


@transaction.atomic
def appraisal_set(*, actor: User, opportunity: Opportunity, data: Mapping[str, Any]) -> Appraisal:
    require(access.can_work_solution(actor, opportunity))
    appraisal = Appraisal.objects.filter(opportunity=opportunity).first()
    if appraisal is None:
        appraisal = Appraisal(opportunity=opportunity)
        for field in APPRAISAL_FIELDS:
            setattr(appraisal, field, data[field])
        return save_new(appraisal)
    expected = data.get("version")
    if expected is None:
        raise Conflict(_("该商机的项目评估已由他人填写，请刷新后重新修改。"))
    check_version(appraisal, expected)
    for field in APPRAISAL_FIELDS:
        setattr(appraisal, field, data[field])
    save_versioned(appraisal, expected_version=expected, fields=list(APPRAISAL_FIELDS))
    return appraisal
