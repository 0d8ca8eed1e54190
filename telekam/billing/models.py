from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core import clock


class BillingImport(models.Model):
    """One imported statement file; its lines replace earlier lines of the same months."""

    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(_("导入时间"), default=clock.now)
    row_count = models.PositiveIntegerField(_("行数"))
    account_count = models.PositiveIntegerField(_("客户数"))
    months = models.JSONField(_("账期"), default=list)
    total_amount = models.DecimalField(_("金额合计（元）"), max_digits=16, decimal_places=2)
    replaced_lines = models.PositiveIntegerField(_("被替换的明细数"), default=0)

    class Meta:
        verbose_name = _("账单导入")
        verbose_name_plural = _("账单导入")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class BillingLine(models.Model):
    """An account's charge for one product in one month (month = its first day)."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="billing_lines"
    )
    month = models.DateField(_("账期"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    billing_import = models.ForeignKey(
        BillingImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines"
    )

    class Meta:
        verbose_name = _("账单明细")
        verbose_name_plural = _("账单明细")
        ordering = ["account", "month", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "product"], name="billing_line_once"
            ),
            models.CheckConstraint(
                name="billing_month_first_day", condition=models.Q(month__day=1)
            ),
        ]
        indexes = [models.Index(fields=["month"], name="billing_month")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} {self.product_id} {self.amount}"


class BillingCredit(models.Model):
    """A credit on an account's bill (账务减免), e.g. a settled compensation form. The billing
    system reads these for the month given; the reference ties each to its source."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="billing_credits"
    )
    month = models.DateField(_("冲减账期"))
    amount = models.DecimalField(_("减免金额（元）"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("事由"), max_length=200)
    reference = models.CharField(_("来源单号"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("登记时间"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("账务减免")
        verbose_name_plural = _("账务减免")
        ordering = ["-month", "-id"]
        constraints = [
            models.CheckConstraint(name="credit_positive", condition=models.Q(amount__gt=0)),
            models.CheckConstraint(name="credit_month_first_day", condition=models.Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
