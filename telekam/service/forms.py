from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Account, ServiceInUse, ServiceStatus, SlaLevel
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.org.models import User
from telekam.service.models import (
    CallbackOutcome,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponsibleSegment,
    SlaClass,
)

# <input type="date"> only takes ISO dates; the default format follows the language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


class VersionForm(forms.Form):
    """Every action form carries the version the user saw: a stale page is a Conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ContactFields(forms.Form):
    channel = forms.ChoiceField(label=_("受理渠道"), choices=RequestChannel.choices)
    contact_name = forms.CharField(label=_("客户联系人"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=24, required=False)


class RequestForm(ContactFields):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[
            (k.value, k.label)
            for k in (RequestKind.CONSULTATION, RequestKind.BILLING, RequestKind.TECH_SUPPORT)
        ],
    )
    subject = forms.CharField(label=_("主题"), max_length=200)
    description = forms.CharField(label=_("详细描述"), widget=TEXT, required=False)
    field_order = ["kind", "subject", "description", "channel", "contact_name", "contact_phone"]


class OrderForm(ContactFields):
    product = forms.ModelChoiceField(
        label=_("产品"), queryset=Product.objects.filter(is_active=True), to_field_name="code"
    )
    sla_class = forms.ChoiceField(label=_("时限等级"), choices=SlaClass.choices, initial="normal")
    accepted_on = forms.DateField(label=_("受理日期"), widget=DATE)
    one_time_fee = forms.DecimalField(
        label=_("一次性费用（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("留空则按目录价乘以时限等级系数"),
    )
    monthly_fee = forms.DecimalField(
        label=_("月租（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0"), initial=0
    )
    sla_level = forms.ChoiceField(
        label=_("SLA 质量等级"), choices=SlaLevel.choices, initial=SlaLevel.BRONZE
    )
    circuit_number = forms.CharField(label=_("电路/线路号"), max_length=40, required=False)
    bandwidth_mbps = forms.DecimalField(
        label=_("带宽（Mbps）"),
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0"),
        required=False,
    )
    a_end = forms.CharField(label=_("A 端"), max_length=120, required=False)
    z_end = forms.CharField(label=_("Z 端"), max_length=120, required=False)
    description = forms.CharField(label=_("备注"), widget=TEXT, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accepted_on"].initial = clock.today()
        self.fields["product"].label_from_instance = lambda p: p.display_name  # type: ignore[attr-defined]


class FaultForm(ContactFields):
    service = forms.ModelChoiceField(label=_("故障电路"), queryset=ServiceInUse.objects.none())
    subject = forms.CharField(label=_("故障现象"), max_length=200)
    description = forms.CharField(label=_("详细描述"), widget=TEXT, required=False)
    service_affecting = forms.BooleanField(label=_("业务中断"), required=False, initial=True)
    field_order = ["service", "subject", "description", "service_affecting"]

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = account.services.filter(  # type: ignore[attr-defined]
            status=ServiceStatus.ACTIVE
        ).select_related("product")
        field.label_from_instance = lambda s: f"{s.number} · {s.product.display_name}"  # type: ignore[attr-defined]


class StatusForm(VersionForm):
    to_status = forms.ChoiceField(label=_("新状态"), choices=RequestStatus.choices)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=500)


class AssignForm(VersionForm):
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("处理人"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = users  # type: ignore[attr-defined]


class ActivateForm(VersionForm):
    activated_on = forms.DateField(label=_("开通日期"), widget=DATE)
    circuit_number = forms.CharField(label=_("电路/线路号"), max_length=40, required=False)


class ReasonForm(VersionForm):
    reason = forms.CharField(label=_("原因"), max_length=300)


class RestoreForm(VersionForm):
    cause = forms.CharField(label=_("故障原因"), max_length=300)
    restored_at = forms.DateTimeField(
        label=_("修复时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("留空为现在"),
    )


class ConfirmForm(VersionForm):
    segment = forms.ChoiceField(
        label=_("责任环节"),
        choices=[
            (c.value, c.label) for c in ResponsibleSegment if c != ResponsibleSegment.CUSTOMER
        ],
    )
    finding = forms.CharField(label=_("认定说明"), max_length=500, required=False)


class SignForm(VersionForm):
    signatory = forms.CharField(label=_("客户签字人"), max_length=60)
    signed_on = forms.DateField(label=_("签字日期"), widget=DATE)
    scan = forms.FileField(label=_("签字扫描件"), help_text=_("PDF、PNG 或 JPG，不超过 10 MB"))


class SettleForm(VersionForm):
    month = forms.DateField(
        label=_("冲减账期"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class CallbackForm(VersionForm):
    outcome = forms.ChoiceField(
        label=_("回访结果"), choices=[*BLANK_CHOICE_DASH, *CallbackOutcome.choices]
    )  # the desk picks the outcome on purpose: no answer is preselected
    contact_name = forms.CharField(label=_("受访人"), max_length=60, required=False)
    notes = forms.CharField(label=_("回访记录"), widget=TEXT, required=False)


class DeliveredForm(VersionForm):
    delivered_on = forms.DateField(label=_("交付日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class DeliveryConfirmForm(VersionForm):
    confirmed_on = forms.DateField(
        label=_("客户确认日期"), widget=DATE, help_text=_("确认日期即为起租日期")
    )
    confirmed_by_name = forms.CharField(label=_("客户确认人"), max_length=60)


class FollowUpCloseForm(VersionForm):
    resolution = forms.CharField(label=_("处理结果"), widget=TEXT)
