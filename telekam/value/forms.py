"""Forms of the value inputs page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Industry, Segment
from telekam.core import clock
from telekam.value.models import Resource

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month(text: str) -> dt.date | None:
    match = _MONTH.match(text.strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_asked(text: str | None) -> dt.date | None:
    """A month to look at, from a query string (YYYY-MM): None when not given;
    ValidationError when it is not a month or lies after this month. The pages and the API
    read `?month=` through here."""
    if not text or not text.strip():
        return None
    month = _month(text)
    if month is None or month > clock.today().replace(day=1):
        raise forms.ValidationError(_("账期格式为 2026-10，且不能晚于本月。"))
    return month


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month input), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"})

    def clean(self, value: Any) -> dt.date:  # type: ignore[override]
        month = _month(super().clean(value) or "")
        if month is None:
            raise forms.ValidationError(_("账期格式为 2026-10。"))
        return month


class CostPoolForm(forms.Form):
    month = MonthField(label=_("账期"))
    resource = forms.ChoiceField(label=_("资源"), choices=Resource.choices)
    amount = forms.DecimalField(
        label=_("成本（元）"), min_value=Decimal("0"), max_digits=16, decimal_places=2
    )
    key_share_pct = forms.DecimalField(
        label=_("大客户占用比例（%）"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)


class SegmentFigureForm(forms.Form):
    month = MonthField(label=_("账期"))
    segment = forms.ChoiceField(
        label=_("客户类别"),
        choices=[(s.value, s.label) for s in (Segment.COMMERCIAL, Segment.PUBLIC)],
    )
    customers = forms.IntegerField(label=_("客户数"), min_value=1, max_value=2_000_000_000)
    revenue = forms.DecimalField(
        label=_("收入（元）"), min_value=Decimal("0"), max_digits=18, decimal_places=2
    )
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)


MARK_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(6)]


class IntangibleSheetForm(forms.Form):
    """One 0–5 mark per active criterion (fields named after the criteria), notes, the
    version read."""

    notes = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)

    def __init__(self, *args: Any, criteria: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        marks = {}
        for c in criteria:
            marks[f"mark_{c.code}"] = forms.TypedChoiceField(
                label=f"{c.name}（{_('权重')} {c.weight}）",
                choices=MARK_CHOICES,
                coerce=int,
                help_text=_("0 最低，5 最高"),
            )
        self.fields = {**marks, **self.fields}

    def marks(self) -> dict[str, int]:
        return {c.code: self.cleaned_data[f"mark_{c.code}"] for c in self.criteria}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("审核通过")), ("return", _("退回"))])
    note = forms.CharField(label=_("审核意见"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WeightsForm(forms.Form):
    """One weight per active criterion, and the weights as read (to refuse a stale save)."""

    read = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, criteria: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"w_{c.code}"] = forms.DecimalField(
                label=c.name,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                max_digits=5,
                decimal_places=2,
            )
        if not self.is_bound:
            self.initial.setdefault("read", ";".join(f"{c.code}={c.weight}" for c in criteria))
            for c in criteria:
                self.initial.setdefault(f"w_{c.code}", c.weight)

    def weights(self) -> dict[str, Decimal]:
        return {c.code: self.cleaned_data[f"w_{c.code}"] for c in self.criteria}

    def read_weights(self) -> dict[str, Decimal]:
        out = {}
        for part in (self.cleaned_data.get("read") or "").split(";"):
            code, _sep, value = part.partition("=")
            try:
                out[code] = Decimal(value)
            except ArithmeticError:
                continue
        return out


# --- potential value ----------------------------------------------------------------------


def _pct_field(label: Any, low: str, high: str, digits: int = 5) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(low),
        max_value=Decimal(high),
        max_digits=digits,
        decimal_places=2,
    )


class ShareOfWalletForm(forms.Form):
    share_pct = _pct_field(_("我方份额（%）"), "0.01", "100")
    note = forms.CharField(label=_("依据"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)


class IndustryGrowthForm(forms.Form):
    industry = forms.ChoiceField(label=_("行业"), choices=Industry.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    growth_pct = _pct_field(_("增长率（%）"), "-100", "1000", digits=6)
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)


class ParametersForm(forms.Form):
    discount_rate_pct = _pct_field(_("年贴现率（%）"), "0.01", "100")
    horizon_years = forms.IntegerField(label=_("预测年限"), min_value=1, max_value=30)
    weight_current = _pct_field(_("当前价值权重"), "0", "100")
    weight_potential = _pct_field(_("潜在价值权重"), "0", "100")
    weight_intangible = _pct_field(_("无形价值权重"), "0", "100")
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)
