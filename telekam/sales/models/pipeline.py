"""Prospects and opportunities: the pipeline from a need to a won or lost deal."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Industry
from telekam.core import clock
from telekam.core.models import VersionedModel
from telekam.core.validators import validate_uscc


class Prospect(VersionedModel):
    """An organisation that is not a customer yet (most of the market; domain §4). Converted
    into an account without re-typing when the first deal comes in."""

    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc]
    )
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices)
    group = models.ForeignKey(
        "org.IndustryGroup",
        verbose_name=_("服务行业组"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="prospects",
    )
    city = models.CharField(_("城市"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_title = models.CharField(_("职务"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=24, blank=True)
    employees = models.PositiveIntegerField(_("员工人数"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("已转为客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prospect",
    )
    converted_at = models.DateTimeField(_("转为客户时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("潜在客户")
        verbose_name_plural = _("潜在客户")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpportunitySource(models.TextChoices):
    CUSTOMER = "customer", _("客户提出")
    PROACTIVE = "proactive", _("客户经理主动发现")
    RESEARCH = "research", _("行业研究")
    CAMPAIGN = "campaign", _("营销活动")
    RETENTION = "retention", _("保有挽留")


class Stage(models.TextChoices):
    NEED = "need", _("需求确认")
    SOLUTION = "solution", _("方案设计")
    NEGOTIATION = "negotiation", _("商务谈判")
    CONTRACT = "contract", _("合同签订")
    IMPLEMENTATION = "implementation", _("工程实施")
    WON = "won", _("赢单")
    LOST = "lost", _("丢单")


OPEN_STAGES = (
    Stage.NEED,
    Stage.SOLUTION,
    Stage.NEGOTIATION,
    Stage.CONTRACT,
    Stage.IMPLEMENTATION,
)
# Default probability of closing by stage (the AM may set its own).
STAGE_PROBABILITY = {
    Stage.NEED: 10,
    Stage.SOLUTION: 25,
    Stage.NEGOTIATION: 50,
    Stage.CONTRACT: 80,
    Stage.IMPLEMENTATION: 90,
    Stage.WON: 100,
    Stage.LOST: 0,
}


class LostReason(models.TextChoices):
    PRICE = "price", _("价格")
    COMPETITOR_SOLUTION = "competitor_solution", _("竞争对手方案更优")
    RELATIONSHIP = "relationship", _("客户关系")
    COVERAGE = "coverage", _("网络覆盖/资源不足")
    TIMING = "timing", _("时机/预算取消")
    SERVICE = "service", _("服务质量")
    OTHER = "other", _("其他")


class Opportunity(VersionedModel):
    """A deal in the making, for an account or a prospect. Going back a stage is allowed and
    counted: `solution_rounds` and `negotiation_rounds` say how many times the deal entered
    those stages (domain §4: real deals loop)."""

    number = models.CharField(_("商机编号"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("商机名称"), max_length=200)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    prospect = models.ForeignKey(
        Prospect,
        verbose_name=_("潜在客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    group = models.ForeignKey(
        "org.IndustryGroup",
        verbose_name=_("服务行业组"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("来源"), max_length=16, choices=OpportunitySource.choices)
    products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("意向产品"), blank=True, related_name="+"
    )
    expected_monthly = models.DecimalField(
        _("预计月收入（元）"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    expected_one_time = models.DecimalField(
        _("预计一次性收入（元）"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    close_date = models.DateField(_("预计签约日期"))
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.NEED)
    probability = models.PositiveSmallIntegerField(
        _("赢单概率（%）"), default=10, validators=[MaxValueValidator(100)]
    )
    solution_rounds = models.PositiveSmallIntegerField(_("方案轮次"), default=0)
    negotiation_rounds = models.PositiveSmallIntegerField(_("谈判轮次"), default=0)
    description = models.TextField(_("需求描述"), blank=True)
    lost_reason = models.CharField(
        _("丢单原因"), max_length=24, choices=LostReason.choices, blank=True
    )
    lost_to = models.CharField(_("赢单的竞争对手"), max_length=60, blank=True)
    lost_note = models.CharField(_("丢单说明"), max_length=300, blank=True)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["close_date", "id"]
        indexes = [
            models.Index(fields=["owner", "stage"], name="opp_owner_stage"),
            models.Index(fields=["group", "stage"], name="opp_group_stage"),
            models.Index(fields=["stage", "close_date"], name="opp_stage_close"),
        ]
        constraints = [
            models.CheckConstraint(
                name="opp_account_or_prospect",
                condition=models.Q(account__isnull=False) | models.Q(prospect__isnull=False),
            ),
            models.CheckConstraint(
                name="opp_lost_has_reason",
                condition=~models.Q(stage="lost") | ~models.Q(lost_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def customer_name(self) -> str:
        if self.account is not None:
            return self.account.name
        return self.prospect.name if self.prospect is not None else ""

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_monthly(self) -> Decimal:
        return (self.expected_monthly * self.probability / 100).quantize(Decimal("0.01"))


class StageChange(models.Model):
    """The opportunity's path through the stages, backward moves included."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("商机"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    at = models.DateTimeField(_("时间"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices)
    backward = models.BooleanField(_("回退"), default=False)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage}->{self.to_stage}"
