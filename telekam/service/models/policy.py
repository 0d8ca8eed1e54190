from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import SlaLevel


class SlaClass(models.TextChoices):
    SPECIAL = "special", _("特急")
    URGENT = "urgent", _("加急")
    NORMAL = "normal", _("普通")


class ProvisioningPolicy(models.Model):
    """The provisioning promise for one product and SLA class (domain §5): how many working
    days from acceptance to activation, the price factor on the one-time fee, and the
    compensation per working day late (as a share of the one-time fee, capped at the fee)."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("产品"), on_delete=models.CASCADE, related_name="+"
    )
    sla_class = models.CharField(_("时限等级"), max_length=16, choices=SlaClass.choices)
    working_days = models.PositiveSmallIntegerField(
        _("开通时限（工作日）"), validators=[MinValueValidator(1)]
    )
    price_factor = models.DecimalField(
        _("一次性费用系数"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("1.50 表示一次性费用按 150% 收取"),
    )
    compensation_rate = models.DecimalField(
        _("每迟延一个工作日赔付比例"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("占一次性费用的比例，0.05 表示 5%"),
    )

    class Meta:
        verbose_name = _("开通时限政策")
        verbose_name_plural = _("开通时限政策")
        ordering = ["product", "working_days"]
        constraints = [models.UniqueConstraint(fields=["product", "sla_class"], name="policy_once")]

    def __str__(self) -> str:
        return f"{self.product} {self.get_sla_class_display()}"


class FaultPolicy(models.Model):
    """What one SLA quality level promises (domain §5: three levels, ours to configure):
    monthly availability, time to respond to and to restore a fault, and the credit on the
    monthly fee when availability falls short."""

    sla_level = models.CharField(_("SLA 等级"), max_length=8, choices=SlaLevel.choices, unique=True)
    availability_pct = models.DecimalField(
        _("月可用率承诺（%）"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("90")), MaxValueValidator(Decimal("100"))],
    )
    response_minutes = models.PositiveIntegerField(
        _("响应时限（分钟）"), validators=[MinValueValidator(1)]
    )
    restore_minutes = models.PositiveIntegerField(
        _("修复时限（分钟）"), validators=[MinValueValidator(1)]
    )
    credit_step_pct = models.DecimalField(
        _("赔付档距（百分点）"),
        max_digits=5,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("可用率每低于承诺这么多个百分点（不足一档按一档）计一档"),
    )
    credit_per_step = models.DecimalField(
        _("每档赔付比例"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("占该电路月租的比例，0.10 表示 10%"),
    )
    credit_cap = models.DecimalField(
        _("赔付上限比例"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("每月赔付最多为月租的这一比例"),
    )

    class Meta:
        verbose_name = _("SLA 质量等级")
        verbose_name_plural = _("SLA 质量等级")
        ordering = ["-availability_pct"]

    def __str__(self) -> str:
        return self.get_sla_level_display()
