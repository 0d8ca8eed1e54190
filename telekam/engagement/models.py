"""Visits and calls: standards by grade, the plan each account is owed, what was logged,
and the parameters of the staffing model (domain §6)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core import clock
from telekam.core.models import VersionedModel

HOURS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("40"))]


class VisitStandard(models.Model):
    """What one grade is owed: on-site visits per quarter and proactive calls per month,
    and the hours each takes (travel included) for the workload model."""

    grade = models.OneToOneField(
        "accounts.GradeBand",
        verbose_name=_("客户等级"),
        on_delete=models.CASCADE,
        related_name="visit_standard",
    )
    visits_per_quarter = models.PositiveSmallIntegerField(
        _("每季度上门拜访"), validators=[MaxValueValidator(30)]
    )
    calls_per_month = models.PositiveSmallIntegerField(
        _("每月主动电话"), validators=[MaxValueValidator(30)]
    )
    visit_hours = models.DecimalField(
        _("每次拜访工时"), max_digits=4, decimal_places=2, default=Decimal("3.00"), validators=HOURS
    )
    call_hours = models.DecimalField(
        _("每次电话工时"), max_digits=4, decimal_places=2, default=Decimal("0.50"), validators=HOURS
    )

    class Meta:
        verbose_name = _("走访标准")
        verbose_name_plural = _("走访标准")
        ordering = ["-grade__rank"]

    def __str__(self) -> str:
        return str(self.grade)


class TriggerKind(models.TextChoices):
    MAJOR_EVENT = "major_event", _("重大事项")
    RENEWAL_DUE = "renewal_due", _("合同续约到期")
    CHURN_WARNING = "churn_warning", _("流失预警")


class ExtraVisitRule(models.Model):
    """An event that earns the account extra visits within so many days."""

    trigger = models.CharField(
        _("触发事件"), max_length=16, choices=TriggerKind.choices, unique=True
    )
    visits = models.PositiveSmallIntegerField(
        _("加访次数"), default=1, validators=[MaxValueValidator(5)]
    )
    within_days = models.PositiveSmallIntegerField(
        _("须在几天内完成"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )

    class Meta:
        verbose_name = _("加访规则")
        verbose_name_plural = _("加访规则")
        ordering = ["trigger"]

    def __str__(self) -> str:
        return self.get_trigger_display()


class ContactKind(models.TextChoices):
    VISIT = "visit", _("上门拜访")
    CALL = "call", _("主动电话")


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("待完成")
    DONE = "done", _("已完成")


class PlannedContact(VersionedModel):
    """A visit or call an account is owed in a period, in its AM's calendar. The AM may move
    it within its period; a logged visit or call of the account fulfils it."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="planned_contacts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="planned_contacts",
    )
    kind = models.CharField(_("方式"), max_length=8, choices=ContactKind.choices)
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))
    due_on = models.DateField(_("计划日期"))
    reason = models.CharField(_("来由"), max_length=16, default="standard")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    source_key = models.CharField(_("来源键"), max_length=80, unique=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.PLANNED
    )
    log = models.OneToOneField(
        "engagement.ContactLog",
        verbose_name=_("走访记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="planned",
    )

    class Meta:
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="plan_owner_due"),
            models.Index(fields=["account", "kind", "status"], name="plan_account_kind"),
            models.Index(fields=["period_start", "kind"], name="plan_period"),
        ]
        constraints = [
            models.CheckConstraint(
                name="plan_due_in_period",
                condition=models.Q(due_on__gte=models.F("period_start"))
                & models.Q(due_on__lte=models.F("period_end")),
            ),
            models.CheckConstraint(
                name="plan_done_has_log",
                condition=~models.Q(status="done") | models.Q(log__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.due_on}"


class ContactLog(models.Model):
    """A visit or call as it happened: who was met, what was discussed, the needs found and
    the next steps. It appears on the account's timeline."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="contact_logs",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="contact_logs",
    )
    kind = models.CharField(_("方式"), max_length=8, choices=ContactKind.choices)
    happened_on = models.DateField(_("日期"))
    contacts = models.ManyToManyField(
        "accounts.Contact", verbose_name=_("接触人"), blank=True, related_name="contact_logs"
    )
    topics = models.CharField(_("沟通内容"), max_length=500)
    needs = models.TextField(_("发现的需求"), blank=True)
    next_steps = models.CharField(_("下一步"), max_length=300, blank=True)
    follow_up_on = models.DateField(_("跟进日期"), null=True, blank=True)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("转成的商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_logs",
    )
    created_at = models.DateTimeField(_("记录时间"), default=clock.now)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-happened_on", "-id"]
        indexes = [
            models.Index(fields=["account", "kind", "-happened_on"], name="log_account_kind")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.happened_on}"


class StaffingParameters(models.Model):
    """The staffing model's assumptions (one row): an AM's hours a month, the share of them
    for customer contact, the reserve for unplanned work, and how experience and back-office
    support change what an AM can carry."""

    hours_per_month = models.DecimalField(
        _("每月工作小时"), max_digits=6, decimal_places=1, default=Decimal("168.0")
    )
    contact_share = models.DecimalField(
        _("用于客户走访的比例"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("1"))],
    )
    reserve_share = models.DecimalField(
        _("突发工作预留比例"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.20"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.9"))],
    )
    junior_factor = models.DecimalField(
        _("入职不满 1 年的效率"), max_digits=4, decimal_places=2, default=Decimal("0.70")
    )
    mid_factor = models.DecimalField(
        _("入职 1–3 年的效率"), max_digits=4, decimal_places=2, default=Decimal("0.90")
    )
    support_factor = models.DecimalField(
        _("后台支撑系数"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.10"),
        help_text=_("支撑组分担事务后，客户经理可多承担的比例"),
    )

    class Meta:
        verbose_name = _("编制参数")
        verbose_name_plural = _("编制参数")

    def __str__(self) -> str:
        return f"{self.hours_per_month}h"
