"""Forms of the churn pages. They only parse; the rules live in the services (a service
error becomes a form error through core.forms.submit)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Competitor, GradeBand
from telekam.retention.models import (
    CallRuleKind,
    CaseOutcome,
    ChurnReason,
    ChurnThreshold,
    WarningSource,
)
from telekam.retention.selectors import QUEUE_FILTERS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
CALL_FILE_SUFFIXES = (".csv", ".parquet")
CANCELLATION_SUFFIXES = (".csv", ".xlsx")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # bigger call files go through `telekam ingest-calls`

STATE_LABELS = {
    "open": _("未关闭"),
    "overdue": _("逾期未确认"),
    "acknowledged": _("已确认"),
    "closed": _("已关闭"),
    "all": _("全部"),
}


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[(s, STATE_LABELS[s]) for s in QUEUE_FILTERS],
        required=False,
    )
    source = forms.ChoiceField(
        label=_("来源"),
        choices=[("", _("全部来源")), *WarningSource.choices],
        required=False,
    )
    q = forms.CharField(label=_("客户名称/编码"), max_length=100, required=False)


class VersionForm(forms.Form):
    """Every action form carries the version the user saw: a stale page is a Conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DismissForm(VersionForm):
    note = forms.CharField(
        label=_("关闭原因"),
        widget=TEXT,
        max_length=2000,
        help_text=_("如：误报，客户业务调整已核实，无流失风险"),
    )


class PlanForm(VersionForm):
    plan = forms.CharField(label=_("挽留方案"), widget=forms.Textarea(attrs={"rows": 4}))


class ActionForm(forms.Form):
    done_on = forms.DateField(label=_("日期"), widget=DATE)
    text = forms.CharField(label=_("措施"), widget=TEXT, max_length=4000)


class CloseForm(VersionForm):
    outcome = forms.ChoiceField(label=_("结果"), choices=CaseOutcome.choices)
    reason = forms.ChoiceField(
        label=_("流失原因"),
        choices=BLANK_CHOICE_DASH + list(ChurnReason.choices),
        required=False,
        help_text=_("流失或部分流失时必填"),
    )
    competitor = forms.ChoiceField(
        label=_("竞争对手"), choices=BLANK_CHOICE_DASH + list(Competitor.choices), required=False
    )
    monthly_revenue_lost = forms.DecimalField(
        label=_("流失月收入（元）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
    )
    closed_on = forms.DateField(label=_("结案日期"), widget=DATE)
    note = forms.CharField(label=_("结案说明"), widget=TEXT, required=False, max_length=4000)

    def clean_monthly_revenue_lost(self) -> Decimal:
        return self.cleaned_data.get("monthly_revenue_lost") or Decimal("0")


class FieldReportForm(forms.Form):
    heard_on = forms.DateField(label=_("获知日期"), widget=DATE)
    competitor = forms.ChoiceField(
        label=_("竞争对手"), choices=BLANK_CHOICE_DASH + list(Competitor.choices), required=False
    )
    text = forms.CharField(
        label=_("情况"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text=_("听到了什么、从谁那里听到的；如：客户信息部主任称联通报了更低的专线价格"),
    )


def _check_upload(upload: Any, suffixes: tuple[str, ...]) -> Any:
    name = (upload.name or "").lower()
    if not name.endswith(suffixes):
        raise forms.ValidationError(
            _("只接受 %(s)s 文件。") % {"s": " / ".join(s.lstrip(".").upper() for s in suffixes)}
        )
    if upload.size == 0:
        raise forms.ValidationError(_("文件为空。"))
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("文件过大，请用命令行 telekam ingest-calls 导入。"))
    return upload


class CallFileForm(forms.Form):
    file = forms.FileField(
        label=_("话单文件"),
        help_text=_("关口局话单 CSV 或 Parquet；大文件请用命令行 telekam ingest-calls"),
    )

    def clean_file(self) -> Any:
        return _check_upload(self.cleaned_data["file"], CALL_FILE_SUFFIXES)


class CancellationFileForm(forms.Form):
    file = forms.FileField(
        label=_("退租单文件"),
        help_text=_(
            "CSV 或 Excel；列：退租单号、客户编码、申请日期（必填），电路/线路号、产品、月租、退租原因"
        ),
    )

    def clean_file(self) -> Any:
        return _check_upload(self.cleaned_data["file"], CANCELLATION_SUFFIXES)


# --- rules ---------------------------------------------------------------------------------


class CompetitorRuleForm(forms.Form):
    competitor = forms.ChoiceField(label=_("竞争对手"), choices=Competitor.choices)
    kind = forms.ChoiceField(label=_("匹配方式"), choices=CallRuleKind.choices)
    value = forms.CharField(label=_("前缀或中继名"), max_length=32)
    label = forms.CharField(label=_("说明"), max_length=60, required=False)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class AreaCodeForm(forms.Form):
    code = forms.CharField(label=_("本地区号"), max_length=6)
    city = forms.CharField(label=_("城市"), max_length=20, required=False)


THRESHOLD_FIELDS = (
    "competitor_share_pct",
    "share_rise_points",
    "ld_drop_pct",
    "spend_drop_pct",
    "min_baseline_minutes",
    "min_spend_yuan",
    "ack_working_days",
)


class ThresholdForm(forms.Form):
    """The figures of one threshold row (its grade is fixed once created)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(ChurnThreshold, fields=THRESHOLD_FIELDS))

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in THRESHOLD_FIELDS}


class ThresholdAddForm(ThresholdForm):
    grade = forms.ModelChoiceField(label=_("客户等级"), queryset=GradeBand.objects.none())

    def __init__(self, *args: Any, grades: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grade"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (a narrowing for mypy)
        field.queryset = grades if grades is not None else GradeBand.objects.none()
        self.order_fields(["grade", *THRESHOLD_FIELDS])
