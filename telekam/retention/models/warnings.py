"""Warnings, retention cases and the risk score."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Competitor
from telekam.core import clock
from telekam.core.models import VersionedModel


class WarningSource(models.TextChoices):
    """The four sources of domain §7."""

    CALLS = "calls", _("关口局话单")
    SPEND = "spend", _("消费波动")
    CANCELLATION = "cancellation", _("退租单")
    FIELD = "field", _("一线情报")


class Severity(models.IntegerChoices):
    LOW = 1, _("低")
    MEDIUM = 2, _("中")
    HIGH = 3, _("高")


class WarningStatus(models.TextChoices):
    OPEN = "open", _("待确认")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CLOSED = "closed", _("已关闭")


class ChurnReason(models.TextChoices):
    COMPETITOR_LD = "competitor_ld", _("竞争对手长途")
    COMPETITOR_DATA = "competitor_data", _("竞争对手数据业务")
    BUSINESS_TROUBLE = "business_trouble", _("客户自身经营困难")
    PRICE = "price", _("价格")
    SERVICE_QUALITY = "service_quality", _("服务质量")
    RELOCATION = "relocation", _("搬迁")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("挽留中")
    CLOSED = "closed", _("已结案")


class CaseOutcome(models.TextChoices):
    RETAINED = "retained", _("挽留成功")
    PARTLY_LOST = "partly_lost", _("部分流失")
    LOST = "lost", _("流失")


LOST_OUTCOMES = (CaseOutcome.PARTLY_LOST, CaseOutcome.LOST)


class RetentionCase(VersionedModel):
    """What the AM does to keep an account that is warned: the plan, the actions, the end."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="retention_cases",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="retention_cases",
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_on = models.DateField(_("立案日期"))
    plan = models.TextField(_("挽留方案"))
    outcome = models.CharField(_("结果"), max_length=12, choices=CaseOutcome.choices, blank=True)
    reason = models.CharField(_("流失原因"), max_length=20, choices=ChurnReason.choices, blank=True)
    competitor = models.CharField(
        _("竞争对手"), max_length=20, choices=Competitor.choices, blank=True
    )
    monthly_revenue_lost = models.DecimalField(
        _("流失月收入（元）"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    close_note = models.TextField(_("结案说明"), blank=True)

    class Meta:
        verbose_name = _("挽留案例")
        verbose_name_plural = _("挽留案例")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="open"),
                name="retention_case_one_open",
                violation_error_message=_("该客户已有进行中的挽留案例。"),
            ),
            models.CheckConstraint(
                name="retention_case_closed_has_outcome",
                condition=models.Q(status="open")
                | (~models.Q(outcome="") & models.Q(closed_on__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["status", "closed_on"], name="case_status_closed")]

    def __str__(self) -> str:
        return f"{self.account} #{self.pk}"


class ChurnWarning(VersionedModel):
    """One open warning per account and source: new evidence updates it."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="churn_warnings",
    )
    source = models.CharField(_("来源"), max_length=16, choices=WarningSource.choices)
    severity = models.PositiveSmallIntegerField(_("严重程度"), choices=Severity.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=WarningStatus.choices, default=WarningStatus.OPEN
    )
    competitor = models.CharField(
        _("竞争对手"), max_length=20, choices=Competitor.choices, blank=True
    )
    # The numbers behind the warning and a short series for its chart; written by the job or
    # form that raised it (see retention.services.warnings for the keys of each source).
    evidence = models.JSONField(_("证据"), default=dict)
    raised_on = models.DateField(_("首次预警日"))
    evidence_on = models.DateField(_("最新证据日"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任客户经理"),
        on_delete=models.PROTECT,
        related_name="churn_warnings",
    )
    ack_due = models.DateField(_("确认期限"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_note = models.TextField(_("关闭说明"), blank=True)
    case = models.ForeignKey(
        RetentionCase,
        verbose_name=_("挽留案例"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="warnings",
    )

    class Meta:
        verbose_name = _("流失预警")
        verbose_name_plural = _("流失预警")
        ordering = ["-severity", "ack_due", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "source"],
                condition=~models.Q(status="closed"),
                name="churn_warning_one_open_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status"], name="warning_assignee_status"),
            models.Index(fields=["status", "ack_due"], name="warning_status_due"),
            models.Index(fields=["account", "raised_on"], name="warning_account_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.get_source_display()}"


class RetentionAction(models.Model):
    """One thing done under a case (a visit, an offer, an escalation...)."""

    case = models.ForeignKey(
        RetentionCase, verbose_name=_("挽留案例"), on_delete=models.CASCADE, related_name="actions"
    )
    done_on = models.DateField(_("日期"))
    text = models.TextField(_("措施"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("挽留措施")
        verbose_name_plural = _("挽留措施")
        ordering = ["done_on", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class RiskScore(models.Model):
    """The account's current churn risk from the last trained model, with its top reasons."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="risk_score",
    )
    score = models.DecimalField(
        _("流失风险"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    # [{"feature": "competitor_share", "value": 0.31, "effect": 0.12}, ...] strongest first.
    reasons = models.JSONField(_("主要原因"), default=list)
    scored_at = models.DateTimeField(_("评分时间"), default=clock.now)
    run = models.ForeignKey(
        "retention.Run",
        verbose_name=_("模型作业"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("流失风险评分")
        verbose_name_plural = _("流失风险评分")
        ordering = ["-score"]
        indexes = [models.Index(fields=["-score"], name="risk_score_desc")]

    def __str__(self) -> str:
        return f"{self.account}: {self.score}"
