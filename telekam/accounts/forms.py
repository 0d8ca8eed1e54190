"""Forms of the account file. They only parse and validate input; services write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from telekam.accounts import services
from telekam.accounts.models import (
    Account,
    AccountStatus,
    CompetitorInfo,
    Contact,
    GradeBand,
    Industry,
    MajorEvent,
    Segment,
    ServiceInUse,
    Site,
    TeamRole,
)
from telekam.accounts.selectors import SORTS
from telekam.core.validators import normalize_phone, normalize_uscc
from telekam.org.models import IndustryGroup, Role, User


def _phone(value: str | None) -> str:
    """A phone number as stored: without spaces, brackets or the +86 prefix."""
    return normalize_phone(value) if value else ""


class UserChoiceField(forms.ModelChoiceField):
    """A staff member shown with its group: 张伟（金融组）."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.group or '—'}）"


class DateInput(forms.DateInput):
    input_type = "date"


class VersionMixin(forms.Form):
    """Carries the version the user read, so a concurrent edit is caught, not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = list(services.ACCOUNT_FIELDS)
        widgets = {
            "strategy_notes": forms.Textarea(attrs={"rows": 3}),
            "financial_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, confidential: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not confidential:
            for name in services.ACCOUNT_CONFIDENTIAL_FIELDS:
                self.fields.pop(name, None)

    def clean_credit_code(self) -> str | None:
        value = self.cleaned_data.get("credit_code")
        return normalize_uscc(value) if value else None

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data.get("phone"))


class AccountEditForm(VersionMixin, AccountForm):
    pass


class AccountCreateForm(AccountForm):
    segment = forms.ChoiceField(
        label=_("客户类别"),
        choices=[(Segment.KEY, Segment.KEY.label), (Segment.COMMERCIAL, Segment.COMMERCIAL.label)],
    )
    owner = UserChoiceField(label=_("客户经理"), queryset=User.objects.none())

    field_order = ["name", "short_name", "segment", "owner", "credit_code", "industry"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = (
            User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD])
            .select_related("group")
            .order_by("group__sort_order", "username")
        )
        if actor.role == Role.ACCOUNT_MANAGER:
            owners = owners.filter(pk=actor.pk)
        elif actor.role == Role.GROUP_LEAD:
            owners = owners.filter(group_id=actor.group_id)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owners
        if actor.role == Role.ACCOUNT_MANAGER:
            self.fields["owner"].initial = actor.pk

    def clean_credit_code(self) -> str | None:
        return super().clean_credit_code()


class AssignForm(VersionMixin):
    owner = UserChoiceField(label=_("新客户经理"), queryset=User.objects.none())

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = (
            User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD])
            .select_related("group")
            .order_by("group__sort_order", "username")
        )
        if actor.role == Role.GROUP_LEAD:
            owners = owners.filter(group_id=actor.group_id)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owners


class ParentForm(VersionMixin):
    parent_code = forms.CharField(
        label=_("上级单位客户编码"),
        required=False,
        max_length=20,
        help_text=_("留空表示脱离上级单位"),
    )


class AccountRecordForm(forms.ModelForm):
    """A form for a record that belongs to one account (contact, site, service...)."""

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.account = account


class ContactForm(AccountRecordForm):
    class Meta:
        model = Contact
        fields = list(services.CONTACT_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, account=account, **kwargs)
        others = account.contacts.all()
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        cast(forms.ModelChoiceField, self.fields["reports_to"]).queryset = others
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = account.sites.all()
        cast(forms.ModelChoiceField, self.fields["our_counterpart"]).queryset = (
            User.objects.filter(is_active=True).exclude(role=Role.ADMIN).order_by("username")
        )

    def clean_mobile(self) -> str:
        return _phone(self.cleaned_data.get("mobile"))

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data.get("phone"))


class ContactEditForm(VersionMixin, ContactForm):
    pass


class SiteForm(AccountRecordForm):
    class Meta:
        model = Site
        fields = list(services.SITE_FIELDS)


class EventForm(AccountRecordForm):
    class Meta:
        model = MajorEvent
        fields = list(services.EVENT_FIELDS)
        widgets = {"occurred_on": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}


class CompetitorForm(AccountRecordForm):
    class Meta:
        model = CompetitorInfo
        fields = list(services.COMPETITOR_FIELDS)
        widgets = {"contract_end": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}


class ServiceForm(AccountRecordForm):
    class Meta:
        model = ServiceInUse
        fields = list(services.SERVICE_FIELDS)
        widgets = {"activated_on": DateInput(), "cancelled_on": DateInput()}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, account=account, **kwargs)
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = account.sites.all()

    def clean_number(self) -> str:
        return (self.cleaned_data.get("number") or "").strip().upper()


class ServiceEditForm(VersionMixin, ServiceForm):
    pass


class TeamMemberForm(forms.Form):
    user = UserChoiceField(label=_("成员"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("团队角色"), choices=TeamRole.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = (
            User.objects.filter(
                is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD, Role.PRESALES]
            )
            .select_related("group")
            .order_by("username")
        )


class AccountFilterForm(forms.Form):
    """The filters of the "my accounts" list; invalid values are simply ignored."""

    q = forms.CharField(required=False, max_length=100)
    segment = forms.ChoiceField(required=False, choices=[("", _("全部类别")), *Segment.choices[:2]])
    grade = forms.ChoiceField(required=False)
    industry = forms.ChoiceField(required=False, choices=[("", _("全部行业")), *Industry.choices])
    group = forms.ModelChoiceField(
        required=False, queryset=IndustryGroup.objects.all(), empty_label=_("全部行业组")
    )
    # Plain (id, name) choices: the department has ~200 AMs, and building a model instance
    # for each on every list request is the page's largest cost.
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        required=False, choices=[("", _("全部状态")), *AccountStatus.choices]
    )
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS])

    def __init__(
        self, *args: Any, owners: list[tuple[int, str]], bands: list[GradeBand], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", _("全部客户经理")), *owners]
        cast(forms.ChoiceField, self.fields["grade"]).choices = [("", _("全部等级"))] + [
            (b.code, b.display_name) for b in bands
        ]
