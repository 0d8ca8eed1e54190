"""Forms of the visit pages: log a visit or call, move a planned item, the staffing what-if."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Account, Contact, GradeBand
from telekam.engagement.models import ContactKind
from telekam.service.forms import DATE, VersionForm

SHORT_TEXT = forms.Textarea(attrs={"rows": 2})


class ContactLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=ContactKind.choices, widget=forms.RadioSelect)
    happened_on = forms.DateField(label=_("日期"), widget=DATE)
    contacts = forms.ModelMultipleChoiceField(
        label=_("接触人"),
        queryset=Contact.objects.none(),  # set per account
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topics = forms.CharField(label=_("沟通内容"), max_length=500, widget=SHORT_TEXT)
    needs = forms.CharField(
        label=_("发现的需求"),
        widget=SHORT_TEXT,
        required=False,
        help_text=_("填写后可一键转为商机"),
    )
    next_steps = forms.CharField(label=_("下一步"), max_length=300, required=False)
    follow_up_on = forms.DateField(label=_("跟进日期"), widget=DATE, required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contacts"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101
        field.queryset = account.contacts.order_by("name")


class PlanMoveForm(VersionForm):
    due_on = forms.DateField(label=_("改到"), widget=DATE)


class WhatIfForm(forms.Form):
    extra_key_accounts = forms.IntegerField(
        label=_("新增重点客户数"), min_value=0, max_value=100000, required=False
    )
    grade = forms.ModelChoiceField(
        label=_("调整标准的等级"),
        queryset=GradeBand.objects.filter(visit_standard__isnull=False).order_by(
            "segment", "-rank"
        ),
        required=False,
    )
    visits_per_quarter = forms.IntegerField(
        label=_("每季度上门拜访"), min_value=0, max_value=30, required=False
    )
    calls_per_month = forms.IntegerField(
        label=_("每月主动电话"), min_value=0, max_value=30, required=False
    )

    def overrides(self) -> dict[int, tuple[int, int]]:
        grade = self.cleaned_data.get("grade")
        if grade is None:
            return {}
        standard = grade.visit_standard
        visits = self.cleaned_data.get("visits_per_quarter")
        calls = self.cleaned_data.get("calls_per_month")
        return {
            grade.pk: (
                standard.visits_per_quarter if visits is None else visits,
                standard.calls_per_month if calls is None else calls,
            )
        }
