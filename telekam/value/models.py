"""What value assessment reads besides billing (domain §8): the month's cost pools with
the key-account segment's share of each resource, and the average revenue per customer
of the segments the system does not hold customer by customer (public customers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Industry, Segment
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


class IntangibleCriterion(models.Model):
    """One line of the intangible-value sheet (brand influence, satisfaction, referrals,
    strategic and social value, guarantees) and its weight; the administrator's data."""

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name_zh = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=60)
    weight = models.DecimalField(
        _("权重"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("无形价值评分项")
        verbose_name_plural = _("无形价值评分项")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class SheetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已审核")
    RETURNED = "returned", _("已退回")


MAX_MARK = 5  # each criterion is marked 0..5


class IntangibleSheet(VersionedModel):
    """An account's intangible value for a year: the AM marks each criterion 0–5, the
    group lead (or the department head) reviews it. The score is the weighted marks on a
    0–100 scale, with the weights kept as they were when the sheet was last saved."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="intangible_sheets",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    marks = models.JSONField(_("评分"), default=dict)
    weights = models.JSONField(_("权重"), default=dict)
    score = models.DecimalField(_("无形价值得分"), max_digits=4, decimal_places=1)
    notes = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=SheetStatus.choices, default=SheetStatus.DRAFT
    )
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填写人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("无形价值评分表")
        verbose_name_plural = _("无形价值评分表")
        ordering = ["-year", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "year"], name="intangible_sheet_once"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=100),
                name="intangible_sheet_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.year}"


# --- potential value and the composite score (issue 7) -----------------------------------


def _pct(low: str, high: str) -> list[Any]:
    return [MinValueValidator(Decimal(low)), MaxValueValidator(Decimal(high))]


class ValueParameters(VersionedModel):
    """The department's parameters of potential value and the composite score (one row,
    kept by the head, the analysts and the administrator; defaults until first saved):
    the yearly discount rate and horizon of the direct method, and the weights of current
    value, potential value and intangible value in the composite score."""

    discount_rate_pct = models.DecimalField(
        _("年贴现率（%）"), max_digits=5, decimal_places=2, validators=_pct("0.01", "100")
    )
    horizon_years = models.PositiveSmallIntegerField(
        _("预测年限"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    weight_current = models.DecimalField(
        _("当前价值权重"), max_digits=5, decimal_places=2, validators=_pct("0", "100")
    )
    weight_potential = models.DecimalField(
        _("潜在价值权重"), max_digits=5, decimal_places=2, validators=_pct("0", "100")
    )
    weight_intangible = models.DecimalField(
        _("无形价值权重"), max_digits=5, decimal_places=2, validators=_pct("0", "100")
    )

    class Meta:
        verbose_name = _("价值评估参数")
        verbose_name_plural = _("价值评估参数")

    def __str__(self) -> str:
        return str(_("价值评估参数"))


PARAMETER_DEFAULTS: dict[str, Any] = {
    "discount_rate_pct": Decimal("10.00"),
    "horizon_years": 5,
    "weight_current": Decimal("50.00"),
    "weight_potential": Decimal("30.00"),
    "weight_intangible": Decimal("20.00"),
}


class IndustryGrowth(VersionedModel):
    """An industry's expected growth of telecom spend in a year (%, may be negative), from
    the operator's market studies: the indirect method scales the wallet by it."""

    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices)
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    growth_pct = models.DecimalField(
        _("增长率（%）"), max_digits=6, decimal_places=2, validators=_pct("-100", "1000")
    )

    class Meta:
        verbose_name = _("行业增长率")
        verbose_name_plural = _("行业增长率")
        ordering = ["-year", "industry"]
        constraints = [
            models.UniqueConstraint(fields=["industry", "year"], name="industry_growth_once"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_industry_display()}"


class ShareOfWallet(VersionedModel):
    """The account manager's estimate of our share of the account's whole telecom spend
    (%, above 0): the rest is the wallet we do not have yet (the indirect method)."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="share_of_wallet",
    )
    share_pct = models.DecimalField(
        _("我方份额（%）"), max_digits=5, decimal_places=2, validators=_pct("0.01", "100")
    )
    note = models.CharField(_("依据"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填写人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("钱包份额")
        verbose_name_plural = _("钱包份额")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_pct__gt=0) & models.Q(share_pct__lte=100),
                name="share_of_wallet_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.share_pct}%"
