from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import SlaLevel
from telekam.core import clock
from telekam.core.models import VersionedModel


class FaultStatus(models.TextChoices):
    OPEN = "open", _("待响应")
    RESPONDED = "responded", _("修复中")
    WAITING_CUSTOMER = "waiting_customer", _("等待客户（停钟）")
    RESTORED = "restored", _("已修复")


class FaultTicket(VersionedModel):
    """A fault on a service in use (故障单). The response and restoration targets come from
    the circuit's SLA quality level at the time of the report; the restoration clock stops
    only while the ticket waits on the customer, and every pause is kept (FaultPause)."""

    request = models.OneToOneField(
        "service.ServiceRequest",
        verbose_name=_("受理单"),
        on_delete=models.PROTECT,
        related_name="fault",
    )
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="faults"
    )
    service = models.ForeignKey(
        "accounts.ServiceInUse",
        verbose_name=_("故障电路"),
        on_delete=models.PROTECT,
        related_name="faults",
    )
    priority = models.PositiveSmallIntegerField(
        _("优先级"),
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("1 最高；由客户星级和 SLA 等级决定"),
    )
    sla_level = models.CharField(_("SLA 质量等级"), max_length=8, choices=SlaLevel.choices)
    response_minutes = models.PositiveIntegerField(_("响应时限（分钟）"))
    restore_minutes = models.PositiveIntegerField(_("修复时限（分钟）"))
    service_affecting = models.BooleanField(
        _("业务中断"), default=True, help_text=_("中断计入电路的停机时长和月可用率")
    )
    reported_at = models.DateTimeField(_("申告时间"), default=clock.now)
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    restored_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=FaultStatus.choices, default=FaultStatus.OPEN
    )
    paused_seconds = models.PositiveIntegerField(
        _("已停钟（秒）"), default=0, help_text=_("已结束的停钟时长合计")
    )
    paused_since = models.DateTimeField(_("停钟开始"), null=True, blank=True)
    cause = models.CharField(_("故障原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("故障单")
        verbose_name_plural = _("故障单")
        ordering = ["priority", "reported_at"]
        indexes = [models.Index(fields=["status", "priority"], name="fault_status_priority")]
        constraints = [
            models.CheckConstraint(
                name="fault_restored_has_time",
                condition=~models.Q(status="restored") | models.Q(restored_at__isnull=False),
            ),
            models.CheckConstraint(
                name="fault_paused_only_waiting",
                condition=models.Q(status="waiting_customer", paused_since__isnull=False)
                | (~models.Q(status="waiting_customer") & models.Q(paused_since__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} P{self.priority}"


class FaultPause(models.Model):
    """One stretch of time the fault clock stood still, waiting on the customer."""

    fault = models.ForeignKey(
        FaultTicket, verbose_name=_("故障单"), on_delete=models.CASCADE, related_name="pauses"
    )
    started_at = models.DateTimeField(_("停钟开始"))
    ended_at = models.DateTimeField(_("停钟结束"), null=True, blank=True)
    reason = models.CharField(_("停钟原因"), max_length=300)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("停钟记录")
        verbose_name_plural = _("停钟记录")
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="pause_ends_after_start",
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.reason}"


class Outage(models.Model):
    """A stretch of time a circuit was down: the base of outage minutes and availability.
    `excluded_minutes` is the part spent waiting on the customer, not counted against us."""

    service = models.ForeignKey(
        "accounts.ServiceInUse",
        verbose_name=_("电路"),
        on_delete=models.PROTECT,
        related_name="outages",
    )
    fault = models.OneToOneField(
        FaultTicket,
        verbose_name=_("故障单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outage",
    )
    started_at = models.DateTimeField(_("中断开始"))
    ended_at = models.DateTimeField(_("中断结束"))
    excluded_minutes = models.PositiveIntegerField(_("客户原因停钟（分钟）"), default=0)

    class Meta:
        verbose_name = _("业务中断")
        verbose_name_plural = _("业务中断")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["service", "started_at"], name="outage_service_start")]
        constraints = [
            models.CheckConstraint(
                name="outage_ends_after_start",
                condition=models.Q(ended_at__gte=models.F("started_at")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.started_at:%Y-%m-%d %H:%M}"
