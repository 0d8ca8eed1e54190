"""Solutions, versioned quotes with discount approval, contracts, implementation projects
and the project appraisal of an opportunity."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import SlaLevel
from telekam.core import clock
from telekam.core.models import VersionedModel
from telekam.org.models import Role
from telekam.service.models import SlaClass

PCT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Solution(VersionedModel):
    """The technical proposal for an opportunity, owned by a pre-sales engineer."""

    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("商机"),
        on_delete=models.CASCADE,
        related_name="solutions",
    )
    title = models.CharField(_("方案名称"), max_length=200)
    proposal = models.TextField(_("技术方案"), blank=True)
    presales = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("售前工程师"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="solutions",
    )

    class Meta:
        verbose_name = _("解决方案")
        verbose_name_plural = _("解决方案")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class SolutionAttachment(models.Model):
    solution = models.ForeignKey(
        Solution, verbose_name=_("解决方案"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("附件"), upload_to="solutions/%Y/%m/", max_length=200)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), default=clock.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("方案附件")
        verbose_name_plural = _("方案附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class DiscountLimit(models.Model):
    """How large a discount each role may give on its own (configurable). Beyond it, the
    quote needs the approval of a role whose limit covers it, never the submitter's own."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, unique=True)
    max_discount_pct = models.DecimalField(
        _("最大折扣（%）"), max_digits=5, decimal_places=2, validators=PCT
    )

    class Meta:
        verbose_name = _("折扣权限")
        verbose_name_plural = _("折扣权限")
        ordering = ["max_discount_pct"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.max_discount_pct}%"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    ACCEPTED = "accepted", _("客户已接受")
    SUPERSEDED = "superseded", _("已被新版本替代")


class Quote(VersionedModel):
    """One version of the price proposal of a solution."""

    solution = models.ForeignKey(
        Solution, verbose_name=_("解决方案"), on_delete=models.CASCADE, related_name="quotes"
    )
    number = models.CharField(_("报价单号"), max_length=24, unique=True, editable=False)
    revision = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    valid_until = models.DateField(_("有效期至"))
    note = models.TextField(_("报价说明"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approver_role = models.CharField(
        _("需审批角色"), max_length=32, choices=Role.choices, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("报价")
        verbose_name_plural = _("报价")
        ordering = ["solution", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["solution", "revision"], name="quote_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.revision}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(
        Quote, verbose_name=_("报价"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])
    term_months = models.PositiveSmallIntegerField(
        _("期限（月）"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    monthly_price = models.DecimalField(
        _("月单价（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    one_time_price = models.DecimalField(
        _("一次性单价（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    discount_pct = models.DecimalField(
        _("折扣（%）"), max_digits=5, decimal_places=2, default=Decimal("0.00"), validators=PCT
    )

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        ordering = ["quote", "id"]

    def __str__(self) -> str:
        return f"{self.product} x{self.quantity}"

    @property
    def factor(self) -> Decimal:
        return (Decimal(100) - self.discount_pct) / 100

    @property
    def net_monthly(self) -> Decimal:
        return (self.monthly_price * self.quantity * self.factor).quantize(Decimal("0.01"))

    @property
    def net_one_time(self) -> Decimal:
        return (self.one_time_price * self.quantity * self.factor).quantize(Decimal("0.01"))

    @property
    def contract_value(self) -> Decimal:
        return self.net_monthly * self.term_months + self.net_one_time


class BillingMethod(models.TextChoices):
    MONTHLY = "monthly", _("按月")
    QUARTERLY = "quarterly", _("按季")
    ANNUAL = "annual", _("按年")
    PREPAID = "prepaid", _("预付")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("待签订")
    SIGNED = "signed", _("已签订")
    TERMINATED = "terminated", _("已终止")


class Contract(VersionedModel):
    """The contract made from an accepted quote. Signing it creates the service desk's
    provisioning orders for its lines."""

    number = models.CharField(_("合同编号"), max_length=24, unique=True, editable=False)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("商机"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    quote = models.OneToOneField(
        Quote, verbose_name=_("报价"), on_delete=models.PROTECT, related_name="contract"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    our_party = models.CharField(_("我方"), max_length=200)
    customer_party = models.CharField(_("客户方"), max_length=200)
    term_months = models.PositiveSmallIntegerField(
        _("合同期限（月）"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    start_on = models.DateField(_("起始日期"))
    end_on = models.DateField(_("终止日期"))
    billing_method = models.CharField(
        _("计费方式"), max_length=16, choices=BillingMethod.choices, default=BillingMethod.MONTHLY
    )
    sla_class = models.CharField(
        _("开通时限等级"), max_length=16, choices=SlaClass.choices, default=SlaClass.NORMAL
    )
    sla_level = models.CharField(
        _("SLA 质量等级"), max_length=8, choices=SlaLevel.choices, default=SlaLevel.BRONZE
    )
    specification = models.TextField(_("服务规格"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    renewal_lead_days = models.PositiveSmallIntegerField(
        _("续约提醒提前天数"), default=60, validators=[MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "end_on"], name="contract_status_end")]
        constraints = [
            models.CheckConstraint(
                name="contract_ends_after_start",
                condition=models.Q(end_on__gt=models.F("start_on")),
            ),
            models.CheckConstraint(
                name="contract_signed_has_date",
                condition=~models.Q(status="signed") | models.Q(signed_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContractLine(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量"))
    monthly_fee = models.DecimalField(_("月费（元）"), max_digits=14, decimal_places=2)
    one_time_fee = models.DecimalField(_("一次性费用（元）"), max_digits=14, decimal_places=2)
    activation_on = models.DateField(_("计划开通日期"), null=True, blank=True)
    orders = models.ManyToManyField(
        "service.ProvisioningOrder", verbose_name=_("开通工单"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("合同明细")
        verbose_name_plural = _("合同明细")
        ordering = ["contract", "id"]

    def __str__(self) -> str:
        return f"{self.product} x{self.quantity}"


class ProjectKind(models.TextChoices):
    FIXED = "fixed", _("固网")
    MOBILE = "mobile", _("移动")


class Project(VersionedModel):
    """The implementation of a contract: tasks from a template, owners, due dates, progress,
    and the written engineering plan (domain §4)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="projects"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=ProjectKind.choices)
    name = models.CharField(_("项目名称"), max_length=200)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("项目负责人"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    plan = models.FileField(
        _("工程实施方案"), upload_to="projects/%Y/%m/", blank=True, max_length=200
    )
    plan_uploaded_at = models.DateTimeField(_("方案上传时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实施项目")
        verbose_name_plural = _("实施项目")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    TODO = "todo", _("未开始")
    DOING = "doing", _("进行中")
    DONE = "done", _("已完成")


class ProjectTask(VersionedModel):
    project = models.ForeignKey(
        Project, verbose_name=_("实施项目"), on_delete=models.CASCADE, related_name="tasks"
    )
    name = models.CharField(_("任务"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_tasks",
    )
    due_on = models.DateField(_("计划完成日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO
    )
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MaxValueValidator(100)]
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("实施任务")
        verbose_name_plural = _("实施任务")
        ordering = ["project", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class AppraisalThresholds(models.Model):
    """The thresholds of the pursue / reconsider / decline recommendation (one row)."""

    min_irr_annual = models.DecimalField(
        _("最低年化内部收益率"), max_digits=6, decimal_places=4, default=Decimal("0.1200")
    )
    max_payback_months = models.PositiveSmallIntegerField(_("最长回收期（月）"), default=36)
    reconsider_margin = models.DecimalField(
        _("再议区间（收益率）"), max_digits=6, decimal_places=4, default=Decimal("0.0400")
    )

    class Meta:
        verbose_name = _("项目评估阈值")
        verbose_name_plural = _("项目评估阈值")

    def __str__(self) -> str:
        return f"IRR>={self.min_irr_annual} payback<={self.max_payback_months}"


class Appraisal(VersionedModel):
    """The investment case of an opportunity (domain §4: ROI and IRR decide whether to
    pursue). Monthly flows: month 0 = one-time revenue - capex, then revenue - opex."""

    opportunity = models.OneToOneField(
        "sales.Opportunity",
        verbose_name=_("商机"),
        on_delete=models.CASCADE,
        related_name="appraisal",
    )
    capex = models.DecimalField(
        _("投资（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    monthly_opex = models.DecimalField(
        _("月运营成本（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    monthly_revenue = models.DecimalField(
        _("月收入（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    one_time_revenue = models.DecimalField(
        _("一次性收入（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    term_months = models.PositiveSmallIntegerField(
        _("期限（月）"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    discount_rate = models.DecimalField(
        _("年折现率"),
        max_digits=6,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )

    class Meta:
        verbose_name = _("项目评估")
        verbose_name_plural = _("项目评估")

    def __str__(self) -> str:
        return f"{self.opportunity_id}"
