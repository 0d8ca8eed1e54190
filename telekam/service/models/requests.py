from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core import clock
from telekam.core.models import VersionedModel


class RequestKind(models.TextChoices):
    """The five things one point of contact takes (domain §5, FocOne)."""

    CONSULTATION = "consultation", _("业务咨询")
    ORDER = "order", _("业务受理")
    FAULT = "fault", _("故障申告")
    BILLING = "billing", _("账务查询")
    TECH_SUPPORT = "tech_support", _("技术支持")


class RequestStatus(models.TextChoices):
    NEW = "new", _("待处理")
    IN_PROGRESS = "in_progress", _("处理中")
    WAITING_CUSTOMER = "waiting_customer", _("等待客户")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.WAITING_CUSTOMER)


class RequestChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    ACCOUNT_MANAGER = "am", _("客户经理")
    EMAIL = "email", _("邮件")
    VISIT = "visit", _("上门")
    MONITORING = "monitoring", _("网管监控")


class ServiceRequest(VersionedModel):
    """One thing a customer asked of the one-stop desk (受理单). Orders and faults hang off
    a request of their kind; the request carries the number, owner and status history."""

    number = models.CharField(_("受理单号"), max_length=20, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=RequestKind.choices)
    channel = models.CharField(
        _("受理渠道"), max_length=16, choices=RequestChannel.choices, default=RequestChannel.PHONE
    )
    subject = models.CharField(_("主题"), max_length=200)
    description = models.TextField(_("详细描述"), blank=True)
    contact_name = models.CharField(_("客户联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=24, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests_owned",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    opened_at = models.DateTimeField(_("受理时间"), default=clock.now)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)

    class Meta:
        verbose_name = _("服务受理单")
        verbose_name_plural = _("服务受理单")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-opened_at"], name="request_status_opened"),
            models.Index(fields=["account", "-opened_at"], name="request_account_opened"),
            models.Index(fields=["owner", "status"], name="request_owner_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestEvent(models.Model):
    """The status history of a request: every change of status or owner, and notes."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("受理单"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("时间"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    from_status = models.CharField(
        _("原状态"), max_length=20, choices=RequestStatus.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=20, choices=RequestStatus.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("受理单记录")
        verbose_name_plural = _("受理单记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.from_status}->{self.to_status}"
