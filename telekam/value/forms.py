"""Forms of the value inputs page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Segment
from telekam.value.models import Resource

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month input), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"})

    def clean(self, value: Any) -> dt.date:  # type: ignore[override]
        text = (super().clean(value) or "").strip()
        match = _MONTH.match(text)
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise forms.ValidationError(_("账期格式为 2026-10。"))
        return dt.date(int(match.group(1)), int(match.group(2)), 1)


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
