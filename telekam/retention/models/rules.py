"""What counts as a competitor's traffic and as long distance; thresholds per grade."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Competitor

digits = RegexValidator(r"^[0-9]{1,8}$", _("只能填写 1–8 位数字。"))


class CallRuleKind(models.TextChoices):
    PREFIX = "prefix", _("拨号前缀")
    TRUNK = "trunk", _("出中继运营商")


class CompetitorRule(models.Model):
    """A dialled prefix (17911, 17931, ...) or an outgoing trunk carrier that marks a call
    as going through a competitor. Calls through a competitor's IP prefix are long distance."""

    competitor = models.CharField(_("竞争对手"), max_length=20, choices=Competitor.choices)
    kind = models.CharField(_("匹配方式"), max_length=8, choices=CallRuleKind.choices)
    value = models.CharField(
        _("前缀或中继名"),
        max_length=32,
        help_text=_("拨号前缀填数字（如 17911）；出中继填话单中的运营商标识（如 CUCC）"),
    )
    label = models.CharField(_("说明"), max_length=60, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("竞争对手识别规则")
        verbose_name_plural = _("竞争对手识别规则")
        ordering = ["competitor", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="competitor_rule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_competitor_display()} {self.get_kind_display()} {self.value}"


class LocalAreaCode(models.Model):
    """A local area code: a called number starting with 0 is long distance unless it starts
    with one of these; a number starting with 00 is international."""

    code = models.CharField(_("本地区号"), max_length=6, unique=True, validators=[digits])
    city = models.CharField(_("城市"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("本地区号")
        verbose_name_plural = _("本地区号")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


def pct_field(verbose: Any, default: str, help_text: Any = "") -> models.DecimalField:
    return models.DecimalField(
        verbose,
        max_digits=5,
        decimal_places=1,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=help_text,
    )


class ChurnThreshold(models.Model):
    """When a signal becomes a warning. One row per grade; the row without a grade is the
    default for grades that have none."""

    grade = models.OneToOneField(
        "accounts.GradeBand",
        verbose_name=_("客户等级"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="churn_threshold",
    )
    competitor_share_pct = pct_field(
        _("竞争对手长途占比（%）"), "20.0", _("近 7 天经竞争对手的长途分钟占全部长途分钟的比例")
    )
    share_rise_points = pct_field(
        _("占比较基线上升（百分点）"), "10.0", _("与此前 4 周基线相比上升的百分点")
    )
    ld_drop_pct = pct_field(
        _("本网长途分钟下降（%）"), "40.0", _("近 7 天经本网的长途分钟较基线周均下降的比例")
    )
    spend_drop_pct = pct_field(
        _("月消费下降（%）"), "20.0", _("某产品当月消费较前 3 个月均值下降的比例")
    )
    min_baseline_minutes = models.PositiveIntegerField(
        _("基线最少长途分钟"), default=300, help_text=_("基线周均长途分钟低于此数不预警")
    )
    min_spend_yuan = models.DecimalField(
        _("产品最低月消费（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("500.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("前 3 个月均值低于此数的产品不预警"),
    )
    ack_working_days = models.PositiveSmallIntegerField(
        _("确认时限（工作日）"), default=2, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("预警阈值")
        verbose_name_plural = _("预警阈值")
        ordering = ["grade__rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade"],
                condition=models.Q(grade__isnull=True),
                name="churn_threshold_one_default",
            ),
        ]

    def __str__(self) -> str:
        return str(self.grade) if self.grade_id else str(_("默认"))
