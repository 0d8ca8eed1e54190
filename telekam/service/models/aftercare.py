"""After the work is done: delivery to a key account's headquarters, and callbacks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core import clock
from telekam.core.models import VersionedModel


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待交付")
    DELIVERED = "delivered", _("已交付")
    CONFIRMED = "confirmed", _("客户已确认")


class DeliveryTask(VersionedModel):
    """After activation of a key account headquarters' service: the AM delivers the package
    (letter, delivery list, warranty card, guide, fault hotline) within 3 working days; the
    customer's confirmation also confirms the billing start (domain §5)."""

    order = models.OneToOneField(
        "service.ProvisioningOrder",
        verbose_name=_("开通工单"),
        on_delete=models.PROTECT,
        related_name="delivery",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    due_on = models.DateField(_("交付时限"))
    due_provisional = models.BooleanField(_("时限为暂定"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    delivered_on = models.DateField(_("交付日期"), null=True, blank=True)
    confirmed_on = models.DateField(_("客户确认日期"), null=True, blank=True)
    confirmed_by_name = models.CharField(_("客户确认人"), max_length=60, blank=True)
    billing_start_on = models.DateField(_("起租日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("交付任务")
        verbose_name_plural = _("交付任务")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="delivery_status_due")]
        constraints = [
            models.CheckConstraint(
                name="delivery_confirmed_has_date",
                condition=~models.Q(status="confirmed")
                | models.Q(confirmed_on__isnull=False, billing_start_on__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.due_on}"


class CallbackStatus(models.TextChoices):
    OPEN = "open", _("待回访")
    DONE = "done", _("已回访")


class CallbackOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    NEUTRAL = "neutral", _("一般")
    DISSATISFIED = "dissatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("未接通")


class Callback(VersionedModel):
    """One call of the callback desk (回访) to one account. Several events of the account
    while the call is still open (activations, fault repairs) join it, so the customer is
    rung once; the call is due by the earliest of their due dates."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=CallbackStatus.choices, default=CallbackStatus.OPEN
    )
    opened_on = models.DateField(_("生成日期"))
    due_on = models.DateField(_("回访时限"))
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_name = models.CharField(_("受访人"), max_length=60, blank=True)
    outcome = models.CharField(
        _("回访结果"), max_length=16, choices=CallbackOutcome.choices, blank=True
    )
    notes = models.TextField(_("回访记录"), blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="callback_status_due")]
        constraints = [
            # the window: one open call per account at a time
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(status="open"), name="callback_one_open"
            ),
            models.CheckConstraint(
                name="callback_done_has_outcome",
                condition=~models.Q(status="done")
                | (models.Q(done_at__isnull=False) & ~models.Q(outcome="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.due_on}"


class CallbackReason(models.TextChoices):
    ACTIVATION = "activation", _("业务开通")
    FAULT_REPAIR = "fault_repair", _("故障修复")


class CallbackItem(models.Model):
    """One event a callback is about. An event is called about once (unique per order and
    per fault), which is what makes opening callbacks idempotent."""

    callback = models.ForeignKey(
        Callback, verbose_name=_("回访"), on_delete=models.CASCADE, related_name="items"
    )
    reason = models.CharField(_("回访事由"), max_length=16, choices=CallbackReason.choices)
    order = models.OneToOneField(
        "service.ProvisioningOrder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="callback_item",
    )
    fault = models.OneToOneField(
        "service.FaultTicket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="callback_item",
    )
    event_on = models.DateField(_("事件日期"))
    due_on = models.DateField(_("回访时限"))

    class Meta:
        verbose_name = _("回访事项")
        verbose_name_plural = _("回访事项")
        ordering = ["event_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="callback_item_one_event",
                condition=models.Q(order__isnull=False, fault__isnull=True)
                | models.Q(order__isnull=True, fault__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.event_on}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已处理")


class FollowUp(VersionedModel):
    """A dissatisfied callback goes to the AM to lead the fix (domain §5)."""

    callback = models.OneToOneField(
        Callback, verbose_name=_("回访"), on_delete=models.PROTECT, related_name="follow_up"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    due_on = models.DateField(_("处理时限"))
    status = models.CharField(
        _("状态"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    resolution = models.TextField(_("处理结果"), blank=True)
    closed_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("生成时间"), default=clock.now)

    class Meta:
        verbose_name = _("投诉跟进")
        verbose_name_plural = _("投诉跟进")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.due_on}"
