"""The dashboards' query strings and the target form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from telekam.dashboards.kpis import KPI_INFO, Kpi, PeriodKind
from telekam.dashboards.models import TargetLevel
from telekam.org.models import IndustryGroup, User
from telekam.value.forms import month_asked

KPI_CHOICES = [(k.value, info.label) for k, info in KPI_INFO.items()]
KIND_CHOICES = [(PeriodKind.MONTH.value, _("本月")), (PeriodKind.YEAR.value, _("年累计"))]


class DashboardQuery(forms.Form):
    """What a dashboard, a drill-down or the API is asked for: every field optional. The
    page reads the valid ones and says which were not (it never fails on a bad link)."""

    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False)
    month = forms.CharField(required=False)
    group = forms.IntegerField(min_value=1, required=False)
    owner = forms.IntegerField(min_value=1, required=False)
    grade = forms.IntegerField(min_value=1, required=False)
    trend = forms.ChoiceField(choices=KPI_CHOICES, required=False)
    sort = forms.ChoiceField(choices=KPI_CHOICES, required=False)

    def clean_month(self) -> dt.date | None:
        return month_asked(self.cleaned_data.get("month"))

    def values(self) -> dict[str, Any]:
        """The valid fields (defaults for the others)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "kind": data.get("kind") or PeriodKind.MONTH,
            "month": data.get("month"),
            "group_id": data.get("group"),
            "owner_id": data.get("owner"),
            "grade_id": data.get("grade"),
            "trend": Kpi(data["trend"]) if data.get("trend") else Kpi.RETENTION_REVENUE,
            "sort": Kpi(data["sort"]) if data.get("sort") else None,
        }

    def problems(self) -> list[str]:
        return [str(m) for messages in self.errors.values() for m in messages]


class TargetForm(forms.Form):
    kpi = forms.ChoiceField(label=_("指标"), choices=KPI_CHOICES)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    month = forms.IntegerField(
        label=_("月份"), min_value=0, max_value=12, initial=0, help_text=_("0 表示全年")
    )
    level = forms.ChoiceField(label=_("层级"), choices=TargetLevel.choices)
    group = forms.ModelChoiceField(
        label=_("行业组"), queryset=IndustryGroup.objects.all(), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("客户经理"),
        queryset=User.objects.filter(role="account_manager", is_active=True).order_by("username"),
        required=False,
    )
    value = forms.DecimalField(
        label=_("目标值"), max_digits=14, decimal_places=2, min_value=Decimal("-1000")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        level = data.get("level")
        if level == TargetLevel.GROUP and not data.get("group"):
            self.add_error("group", _("行业组目标请选择行业组。"))
        if level == TargetLevel.OWNER and not data.get("owner"):
            self.add_error("owner", _("客户经理目标请选择客户经理。"))
        return data
