from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import SlaLevel
from telekam.core.models import VersionedModel
from telekam.service.models.policy import SlaClass


class OrderStatus(models.TextChoices):
    OPEN = "open", _("施工中")
    ACTIVATED = "activated", _("已开通")
    CANCELLED = "cancelled", _("已撤单")


class ResponsibleSegment(models.TextChoices):
    """Which segment of the operator caused a delay (operations' finding, domain §5)."""

    ACCESS = "access", _("接入网")
    TRANSMISSION = "transmission", _("传输")
    DATA_NETWORK = "data_network", _("数据网")
    SWITCHING = "switching", _("交换")
    CONSTRUCTION = "construction", _("工程施工")
    BRANCH = "branch", _("分公司/局端")
    SUPPLIER = "supplier", _("第三方供应商")
    CUSTOMER = "customer", _("客户原因")


class ProvisioningOrder(VersionedModel):
    """An accepted order with its SLA clock (开通工单). The policy's terms are copied at
    acceptance, so a later change of policy never moves an order's deadline."""

    request = models.OneToOneField(
        "service.ServiceRequest",
        verbose_name=_("受理单"),
        on_delete=models.PROTECT,
        related_name="order",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="provisioning_orders",
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    sla_class = models.CharField(_("时限等级"), max_length=16, choices=SlaClass.choices)
    sla_level = models.CharField(
        _("SLA 质量等级"), max_length=8, choices=SlaLevel.choices, default=SlaLevel.BRONZE
    )
    working_days = models.PositiveSmallIntegerField(_("开通时限（工作日）"))
    price_factor = models.DecimalField(_("一次性费用系数"), max_digits=4, decimal_places=2)
    compensation_rate = models.DecimalField(
        _("每迟延一个工作日赔付比例"), max_digits=5, decimal_places=4
    )
    one_time_fee = models.DecimalField(
        _("一次性费用（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("按时限等级计价后的一次性费用"),
    )
    monthly_fee = models.DecimalField(
        _("月租（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    circuit_number = models.CharField(_("电路/线路号"), max_length=40, blank=True)
    bandwidth_mbps = models.DecimalField(
        _("带宽（Mbps）"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    a_end = models.CharField(_("A 端"), max_length=120, blank=True)
    z_end = models.CharField(_("Z 端"), max_length=120, blank=True)
    accepted_on = models.DateField(_("受理日期"))
    deadline = models.DateField(_("开通时限"))
    deadline_provisional = models.BooleanField(
        _("时限为暂定"), default=False, help_text=_("跨入尚未公布节假日安排的年度，按普通周末计算")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    activated_on = models.DateField(_("开通日期"), null=True, blank=True)
    working_days_late = models.PositiveSmallIntegerField(_("超时工作日"), null=True, blank=True)
    service = models.OneToOneField(
        "accounts.ServiceInUse",
        verbose_name=_("在用业务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provisioning_order",
    )
    responsible_segment = models.CharField(
        _("责任环节"), max_length=16, choices=ResponsibleSegment.choices, blank=True
    )

    class Meta:
        verbose_name = _("开通工单")
        verbose_name_plural = _("开通工单")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["status", "deadline"], name="order_status_deadline")]
        constraints = [
            models.CheckConstraint(
                name="order_activated_has_date",
                condition=~models.Q(status="activated") | models.Q(activated_on__isnull=False),
            ),
            models.CheckConstraint(
                name="order_deadline_after_acceptance",
                condition=models.Q(deadline__gt=models.F("accepted_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.circuit_number or self.pk}"


class CompensationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMED = "confirmed", _("运维已确认")
    SIGNED = "signed", _("客户已签字")
    SETTLED = "settled", _("已结算")
    VOID = "void", _("已作废")


class CompensationForm(VersionedModel):
    """The compensation form (赔付单) for a late activation: rate x working days late x the
    one-time fee, capped at the fee. Draft -> confirmed by operations (with the segment
    responsible) -> signed (the AM records the customer's signature) -> settled as a
    billing credit."""

    number = models.CharField(_("赔付单号"), max_length=20, unique=True, editable=False)
    order = models.OneToOneField(
        ProvisioningOrder,
        verbose_name=_("开通工单"),
        on_delete=models.PROTECT,
        related_name="compensation",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="compensation_forms",
    )
    one_time_fee = models.DecimalField(_("一次性费用（元）"), max_digits=12, decimal_places=2)
    rate = models.DecimalField(_("每工作日赔付比例"), max_digits=5, decimal_places=4)
    working_days_late = models.PositiveSmallIntegerField(_("超时工作日"))
    amount = models.DecimalField(_("赔付金额（元）"), max_digits=12, decimal_places=2)
    capped = models.BooleanField(_("已达上限（免收一次性费用）"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CompensationStatus.choices,
        default=CompensationStatus.DRAFT,
    )
    responsible_segment = models.CharField(
        _("责任环节"), max_length=16, choices=ResponsibleSegment.choices, blank=True
    )
    finding = models.CharField(_("运维认定说明"), max_length=500, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    customer_signatory = models.CharField(_("客户签字人"), max_length=60, blank=True)
    signed_on = models.DateField(_("客户签字日期"), null=True, blank=True)
    signature_scan = models.FileField(
        _("签字扫描件"), upload_to="compensation/%Y/%m/", blank=True, max_length=200
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结算人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    credit = models.OneToOneField(
        "billing.BillingCredit",
        verbose_name=_("账务减免"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compensation_form",
    )
    void_reason = models.CharField(_("作废原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("赔付单")
        verbose_name_plural = _("赔付单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="compensation_within_fee",
                condition=models.Q(amount__gte=0, amount__lte=models.F("one_time_fee")),
            ),
            models.CheckConstraint(
                name="compensation_signed_has_signature",
                condition=~models.Q(status__in=["signed", "settled"])
                | (models.Q(signed_on__isnull=False) & ~models.Q(signature_scan="")),
            ),
            models.CheckConstraint(
                name="compensation_settled_has_credit",
                condition=~models.Q(status="settled") | models.Q(credit__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number
