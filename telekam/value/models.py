"""What value assessment reads besides billing (domain §8): the month's cost pools with
the key-account segment's share of each resource, and the average revenue per customer
of the segments the system does not hold customer by customer (public customers)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Segment
from telekam.core.models import VersionedModel


class Resource(models.TextChoices):
    DATA = "data", _("数据资源")
    VOICE = "voice", _("语音资源")
    BANDWIDTH = "bandwidth", _("带宽资源")


class CostPool(VersionedModel):
    """A month's cost of one resource (network, operation and maintenance, depreciation...)
    and the share of it that the key accounts use; that share is split among the key
    accounts by their use of the resource (see `telekam.value.selectors`)."""

    month = models.DateField(_("账期"))
    resource = models.CharField(_("资源"), max_length=12, choices=Resource.choices)
    amount = models.DecimalField(
        _("成本（元）"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    key_share_pct = models.DecimalField(
        _("大客户占用比例（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("成本池")
        verbose_name_plural = _("成本池")
        ordering = ["-month", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["month", "resource"], name="cost_pool_once"),
            models.CheckConstraint(
                condition=models.Q(key_share_pct__gte=0) & models.Q(key_share_pct__lte=100),
                name="cost_pool_share_pct",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_resource_display()}"


class SegmentFigure(VersionedModel):
    """A segment's customers and revenue in a month, from the operator's statistics: for
    a segment whose customers are not billed in this system (the public), its average
    revenue per customer comes from here."""

    month = models.DateField(_("账期"))
    segment = models.CharField(_("客户类别"), max_length=16, choices=Segment.choices)
    customers = models.PositiveIntegerField(_("客户数"), validators=[MinValueValidator(1)])
    revenue = models.DecimalField(
        _("收入（元）"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("客户类别统计")
        verbose_name_plural = _("客户类别统计")
        ordering = ["-month", "segment"]
        constraints = [
            models.UniqueConstraint(fields=["month", "segment"], name="segment_figure_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_segment_display()}"

    @property
    def arpu(self) -> Decimal:
        """Average revenue per customer, yuan to the fen."""
        return (Decimal(self.revenue) / self.customers).quantize(Decimal("0.01"))
