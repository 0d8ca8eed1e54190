"""Forms of the sales pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Industry, SlaLevel
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.org.models import User
from telekam.sales.models import (
    BillingMethod,
    ContractLine,
    LostReason,
    OpportunitySource,
    ProjectKind,
    Stage,
    TaskStatus,
)
from telekam.service.forms import DATE, TEXT, VersionForm
from telekam.service.models import SlaClass

# --- the pipeline: opportunities, stage moves, appraisal, prospects (views/pipeline.py) ----

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


def _products(extra: Any = None) -> QuerySet[Product]:
    """The active catalogue, plus the products a deal already names (even if withdrawn)."""
    qs = Product.objects.filter(is_active=True)
    if extra is not None:
        qs = qs | Product.objects.filter(pk__in=extra.values("pk"))
    return qs.distinct().order_by("sort_order", "code")


class OpportunityFields(forms.Form):
    """What an AM types about a deal, at creation and later."""

    name = forms.CharField(label=_("商机名称"), max_length=200)
    products = forms.ModelMultipleChoiceField(
        label=_("意向产品"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    expected_monthly = forms.DecimalField(
        label=_("预计月收入（元）"), initial=Decimal("0.00"), **MONEY
    )
    expected_one_time = forms.DecimalField(
        label=_("预计一次性收入（元）"), initial=Decimal("0.00"), **MONEY
    )
    close_date = forms.DateField(label=_("预计签约日期"), widget=DATE)
    description = forms.CharField(label=_("需求描述"), widget=TEXT, required=False)

    def __init__(self, *args: Any, current_products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["products"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 (for mypy)
        field.queryset = _products(current_products)
        field.label_from_instance = lambda p: p.display_name  # type: ignore[method-assign,assignment]


class OpportunityNewForm(OpportunityFields):
    """A new deal. `account` (a customer code) is asked only when the page was not opened
    from an account or a prospect."""

    account = forms.CharField(label=_("客户编码"), max_length=20)
    source = forms.ChoiceField(
        label=_("来源"), choices=OpportunitySource.choices, initial=OpportunitySource.PROACTIVE
    )
    field_order = [
        "account",
        "name",
        "source",
        "expected_monthly",
        "expected_one_time",
        "close_date",
        "products",
        "description",
    ]

    def __init__(self, *args: Any, ask_account: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_account:
            del self.fields["account"]


class OpportunityEditForm(VersionForm, OpportunityFields):
    field_order = [
        "name",
        "expected_monthly",
        "expected_one_time",
        "close_date",
        "products",
        "description",
    ]


class MoveForm(VersionForm):
    """Move a deal to another stage; lost needs a reason (and who won, if a competitor)."""

    to_stage = forms.ChoiceField(label=_("新阶段"), choices=Stage.choices)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
    lost_reason = forms.ChoiceField(
        label=_("丢单原因"),
        choices=[("", "---------"), *LostReason.choices],
        required=False,
    )
    lost_to = forms.CharField(label=_("赢单的竞争对手"), max_length=60, required=False)
    lost_note = forms.CharField(label=_("丢单说明"), max_length=300, required=False)

    def __init__(self, *args: Any, current: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current is not None:
            field = self.fields["to_stage"]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 (for mypy)
            field.choices = [(s.value, s.label) for s in Stage if s != current]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to_stage") == Stage.LOST and not data.get("lost_reason"):
            self.add_error("lost_reason", _("丢单须选择原因。"))
        return data


class BoardMoveForm(VersionForm):
    """A card dropped on another column of the board. The columns are the open stages;
    any other stage is left to the service to refuse or allow (won needs an accepted
    quote, lost a reason: the board sends neither)."""

    to_stage = forms.ChoiceField(choices=Stage.choices)


class AppraisalForm(forms.Form):
    """The investment case; the rate is typed as a percentage and stored as a fraction."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    capex = forms.DecimalField(label=_("投资（元）"), **MONEY)
    monthly_opex = forms.DecimalField(label=_("月运营成本（元）"), **MONEY)
    monthly_revenue = forms.DecimalField(label=_("月收入（元）"), **MONEY)
    one_time_revenue = forms.DecimalField(label=_("一次性收入（元）"), **MONEY)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=120)
    discount_rate = forms.DecimalField(
        label=_("年折现率（%）"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )

    def clean_discount_rate(self) -> Decimal:
        rate: Decimal = self.cleaned_data["discount_rate"]
        return (rate / 100).quantize(Decimal("0.0001"))


class ProspectForm(forms.Form):
    owner: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("客户经理"), queryset=User.objects.none()
    )
    name = forms.CharField(label=_("单位名称"), max_length=200)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    industry = forms.ChoiceField(label=_("行业"), choices=Industry.choices)
    city = forms.CharField(label=_("城市"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=60, required=False)
    contact_title = forms.CharField(label=_("职务"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=24, required=False)
    employees = forms.IntegerField(label=_("员工人数"), min_value=0, required=False)
    notes = forms.CharField(label=_("备注"), widget=TEXT, required=False)

    def __init__(self, *args: Any, owners: QuerySet[User] | None = None, **kwargs: Any) -> None:
        """`owners`: whom the user may make responsible; None: the user itself (no field)."""
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
            self.fields["owner"].label_from_instance = (  # type: ignore[attr-defined]
                lambda u: u.get_full_name() or u.username
            )


# --- solutions, quotes, contracts, projects (views/deals.py) ------------------------------


class InstanceChoiceField(forms.ChoiceField):
    """A choice among objects the view loaded once for the whole page; cleans to the object.

    A ModelChoiceField queries its queryset every time it renders, once per form of a
    formset or per row of a task list; this one costs nothing after the first load.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.objects: dict[str, Any] = {}

    def set_objects(self, objects: Iterable[Any], label: Callable[[Any], str] = str) -> None:
        self.objects = {str(obj.pk): obj for obj in objects}
        self.choices = [("", "---------"), *((k, label(o)) for k, o in self.objects.items())]

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.objects.get(key) if key else None


def _person(user: User) -> str:
    return f"{user.get_full_name() or user.username}（{user.get_role_display()}）"


def _product_label(product: Product) -> str:
    return _("%(name)s（目录价：月 %(monthly)s 元，一次性 %(once)s 元）") % {
        "name": product.display_name,
        "monthly": f"{product.list_monthly_fee:,.2f}",
        "once": f"{product.list_one_time_fee:,.2f}",
    }


class SolutionForm(forms.Form):
    title = forms.CharField(label=_("方案名称"), max_length=200)
    presales = InstanceChoiceField(label=_("售前工程师"), required=False)
    proposal = forms.CharField(
        label=_("技术方案"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )

    def __init__(self, *args: Any, presales: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presales"].set_objects(presales, _person)  # type: ignore[attr-defined]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"), help_text=_("不超过 20 MB"))


class QuoteForm(forms.Form):
    valid_until = forms.DateField(label=_("有效期至"), widget=DATE)
    note = forms.CharField(label=_("报价说明"), widget=TEXT, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_until"].initial = clock.today() + dt.timedelta(days=30)


class QuoteLineForm(forms.Form):
    """One line of a quote; prices left blank are the catalogue's list prices."""

    product = InstanceChoiceField(label=_("产品"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100000, initial=1)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=120, initial=12)
    monthly_price = forms.DecimalField(
        label=_("月单价（元）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("留空为目录价"),
        widget=forms.NumberInput(attrs={"placeholder": _("目录价"), "step": "0.01"}),
    )
    one_time_price = forms.DecimalField(
        label=_("一次性单价（元）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("留空为目录价"),
        widget=forms.NumberInput(attrs={"placeholder": _("目录价"), "step": "0.01"}),
    )
    discount_pct = forms.DecimalField(
        label=_("折扣（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        initial=Decimal("0"),
    )

    def __init__(self, *args: Any, products: Iterable[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].set_objects(products, _product_label)  # type: ignore[attr-defined]


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm,
    extra=2,
    can_delete=True,
    min_num=1,
    validate_min=True,
    max_num=50,
    validate_max=True,
    absolute_max=60,
)


class QuoteActionForm(VersionForm):
    note = forms.CharField(label=_("审批意见"), max_length=300, required=False)


class ContractForm(VersionForm):
    start_on = forms.DateField(label=_("起始日期"), widget=DATE)
    term_months = forms.IntegerField(label=_("合同期限（月）"), min_value=1, max_value=120)
    billing_method = forms.ChoiceField(label=_("计费方式"), choices=BillingMethod.choices)
    sla_class = forms.ChoiceField(label=_("开通时限等级"), choices=SlaClass.choices)
    sla_level = forms.ChoiceField(label=_("SLA 质量等级"), choices=SlaLevel.choices)
    renewal_lead_days = forms.IntegerField(label=_("续约提醒提前天数"), min_value=0, max_value=365)
    specification = forms.CharField(label=_("服务规格"), widget=TEXT, required=False)


class ContractSignForm(VersionForm):
    """The signature date, and the planned activation date of each line (optional)."""

    signed_on = forms.DateField(label=_("签订日期"), widget=DATE)

    def __init__(self, *args: Any, lines: Iterable[ContractLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: dict[int, str] = {}
        for line in lines:
            name = f"activation_{line.pk}"
            self.line_fields[line.pk] = name
            self.fields[name] = forms.DateField(
                label=_("计划开通：%(p)s") % {"p": line.product.display_name},
                widget=DATE,
                required=False,
                initial=line.activation_on,
            )

    def activation_dates(self) -> dict[int, dt.date]:
        return {
            pk: self.cleaned_data[name]
            for pk, name in self.line_fields.items()
            if self.cleaned_data.get(name)
        }


class ProjectForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ProjectKind.choices)
    name = forms.CharField(label=_("项目名称"), max_length=200)
    manager = InstanceChoiceField(label=_("项目负责人"))
    start_on = forms.DateField(
        label=_("开工日期"), widget=DATE, required=False, help_text=_("留空为今天")
    )

    def __init__(self, *args: Any, staff: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].set_objects(staff, _person)  # type: ignore[attr-defined]


class TaskForm(VersionForm):
    status = forms.ChoiceField(label=_("状态"), choices=TaskStatus.choices)
    progress = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100)
    owner = InstanceChoiceField(label=_("负责人"), required=False)
    due_on = forms.DateField(label=_("计划完成日期"), widget=DATE, required=False)

    def __init__(self, *args: Any, staff: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_objects(staff, _person)  # type: ignore[attr-defined]


class PlanForm(VersionForm):
    plan = forms.FileField(label=_("工程实施方案"), help_text=_("不超过 20 MB"))
