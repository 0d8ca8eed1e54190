from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


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
