"""Pages for grading: the yearly key-account list review, the boundary band, mid-year
grade proposals, and the billing tab of the account page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from telekam.accounts import access, grading, selectors
from telekam.accounts.models import (
    DecisionStatus,
    GradeBand,
    GradeChangeProposal,
    KeyAccountList,
    KeyAccountListEntry,
    Segment,
)
from telekam.accounts.views.common import form_page
from telekam.billing import selectors as billing_selectors
from telekam.core import clock
from telekam.core.errors import ApplicationError
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.org.models import IndustryGroup

# --- choices: a grade is picked together with its segment ("key:gold") ------------------


def grade_choices(bands: list[GradeBand]) -> list[tuple[str, str]]:
    choices = [
        (f"{b.segment}:{b.code}", f"{Segment(b.segment).label} · {b.display_name}") for b in bands
    ]
    graded = {b.segment for b in bands}
    choices += [(f"{s.value}:", str(s.label)) for s in Segment if s.value not in graded]
    return choices


def parse_grade_choice(value: str, bands: list[GradeBand]) -> tuple[str, GradeBand | None]:
    segment, _sep, code = value.partition(":")
    grade = next((b for b in bands if b.segment == segment and b.code == code), None)
    return segment, grade


class GradeChoiceForm(forms.Form):
    choice = forms.ChoiceField(label=gettext_lazy("类别与等级"))

    def __init__(self, *args: Any, bands: list[GradeBand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bands = bands
        cast(forms.ChoiceField, self.fields["choice"]).choices = grade_choices(bands)

    def grade(self) -> tuple[str, GradeBand | None]:
        return parse_grade_choice(self.cleaned_data["choice"], self.bands)


class DecideEntryForm(GradeChoiceForm):
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class ProposalForm(GradeChoiceForm):
    reason = forms.CharField(
        label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class GenerateForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("名单年度"), min_value=2000, max_value=2100)
    through = forms.DateField(
        label=gettext_lazy("统计截止月"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=gettext_lazy("留空：上一年 12 月（或最近有账单的月份）"),
    )


class EntryFilterForm(forms.Form):
    change = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("changes", gettext_lazy("有变化")),
            ("joins", gettext_lazy("新进大客户")),
            ("drops", gettext_lazy("退出大客户")),
            ("promotions", gettext_lazy("升级")),
            ("demotions", gettext_lazy("降级")),
            ("overridden", gettext_lazy("人工调整")),
            ("no_billing", gettext_lazy("无账单")),
        ],
    )
    group = forms.ModelChoiceField(
        required=False, queryset=IndustryGroup.objects.all(), empty_label=gettext_lazy("全部行业组")
    )
    q = forms.CharField(required=False, max_length=100)


# --- the yearly list ------------------------------------------------------------------------


@login_required
def key_list(request: AuthedHttpRequest) -> HttpResponse:
    if not access.can_review_grades(request.user):
        raise DjangoPermissionDenied
    lists = list(KeyAccountList.objects.select_related("approved_by").order_by("-year"))
    year = request.GET.get("year")
    current = next((k for k in lists if str(k.year) == year), lists[0] if lists else None)
    bands = list(GradeBand.objects.all())
    generate = GenerateForm(initial={"year": clock.today().year + 1})
    context: dict[str, Any] = {
        "section": "grading",
        "lists": lists,
        "key_list": current,
        "generate": generate,
    }
    if current is not None:
        filters_form = EntryFilterForm(request.GET or None)
        f = filters_form.cleaned_data if filters_form.is_valid() else {}
        entries = grading.key_list_entries(
            user=request.user,
            key_list=current,
            filters=grading.KeyListEntryFilters(
                change=f.get("change") or "",
                group=f["group"].pk if f.get("group") else None,
                q=f.get("q") or "",
            ),
        )
        page = Paginator(entries, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            summary=grading.key_list_summary(current),
            filters=filters_form,
            page_obj=page,
            entries=[
                (
                    e,
                    grading.classify_move(
                        e.current_segment, e.current_grade, e.decided_segment, e.decided_grade
                    ),
                    f"{e.decided_segment}:{e.decided_grade.code if e.decided_grade else ''}",
                )
                for e in page.object_list
            ],
            choices=grade_choices(bands),
            can_approve=access.can_approve_grades(request.user),
        )
    return render(request, "accounts/key_list.html", context)


@login_required
@require_POST
def key_list_generate(request: AuthedHttpRequest) -> HttpResponse:
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的年度和月份。"))
        return redirect("accounts:key_list")
    try:
        generated = grading.key_list_generate(
            actor=request.user,
            year=form.cleaned_data["year"],
            through=form.cleaned_data.get("through"),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("accounts:key_list")
    messages.success(request, _("%(year)d 年度名单已生成，请审核。") % {"year": generated.year})
    return redirect(reverse("accounts:key_list") + f"?year={generated.year}")


@login_required
@require_POST
def key_list_decide(request: AuthedHttpRequest, entry: int) -> HttpResponse:
    item = (
        KeyAccountListEntry.objects.select_related("key_list", "account").filter(pk=entry).first()
    )
    if item is None or not access.can_review_grades(request.user):
        raise Http404
    form = DecideEntryForm(request.POST, bands=list(GradeBand.objects.all()))
    if form.is_valid():
        segment, grade = form.grade()
        try:
            grading.key_list_entry_decide(
                actor=request.user,
                entry=item,
                segment=segment,
                grade=grade,
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("已审定：%(name)s") % {"name": item.account.name})
        except ApplicationError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, _("请选择有效的类别与等级。"))
    return redirect(
        request.POST.get("next") or reverse("accounts:key_list") + f"?year={item.key_list.year}"
    )


@login_required
@require_POST
def key_list_approve(request: AuthedHttpRequest, year: int) -> HttpResponse:
    target = KeyAccountList.objects.filter(year=year).first()
    if target is None:
        raise Http404
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        grading.key_list_approve(actor=request.user, key_list=target, expected_version=version)
        messages.success(request, _("%(year)d 年度大客户名单已审批生效。") % {"year": year})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("accounts:key_list") + f"?year={year}")


@login_required
@require_GET
def boundary_band(request: AuthedHttpRequest) -> HttpResponse:
    if not access.can_review_grades(request.user) and request.user.role != "group_lead":
        raise DjangoPermissionDenied
    band = grading.boundary_band(user=request.user)
    # The inversion the sources warn about first: commercial customers treated better than
    # key accounts that spend more; then every inversion; then the whole band.
    show = request.GET.get("show", "cross")
    if show == "inverted":
        rows: tuple[grading.BoundaryRow, ...] = band.inverted
    elif show == "all":
        rows = band.rows
    else:
        show, rows = "cross", tuple(r for r in band.rows if r.cross_segment)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/boundary_band.html",
        {"section": "grading", "band": band, "page_obj": page, "show": show},
    )


# --- mid-year proposals ---------------------------------------------------------------------


@login_required
@require_GET
def proposals(request: AuthedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", DecisionStatus.PENDING)
    if status not in DecisionStatus.values and status != "all":
        status = DecisionStatus.PENDING
    qs = grading.grade_proposals_visible_to(
        user=request.user, status=None if status == "all" else status
    )
    page = Paginator(qs, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/proposals.html",
        {
            "section": "proposals",
            "page_obj": page,
            "status": status,
            "statuses": [(s.value, s.label) for s in DecisionStatus],
            "can_decide": access.can_approve_grades(request.user),
        },
    )


@login_required
@require_POST
def proposal_decide(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    proposal = grading.grade_proposals_visible_to(user=request.user).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        grading.grade_proposal_decide(
            actor=request.user,
            proposal=proposal,
            approve=request.POST.get("decision") == "approve",
            note=(request.POST.get("note") or "")[:200],
            expected_version=version,
        )
        messages.success(request, _("已处理：%(name)s") % {"name": proposal.account.name})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("accounts:proposals")


@login_required
def proposal_create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_visible(user=request.user, pk=pk)
    if not access.can_propose_grade(request.user, account):
        raise DjangoPermissionDenied
    bands = list(GradeBand.objects.all())
    proposal = grading.account_grade_proposal(user=request.user, account=account)
    initial = f"{proposal.proposed_segment}:{proposal.proposed_grade.code if proposal.proposed_grade else ''}"
    form = ProposalForm(request.POST or None, bands=bands, initial={"choice": initial})

    def action(data: dict[str, Any]) -> None:
        segment, grade = form.grade()
        grading.grade_proposal_create(
            actor=request.user,
            account=account,
            to_segment=segment,
            to_grade=grade,
            reason=data["reason"],
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("等级调整申请已提交，等待部门经理审批。"))
        return redirect(reverse("accounts:detail", args=[pk]) + "#billing")
    return form_page(
        request,
        form,
        account=account,
        title=_("申请调整等级"),
        cancel_url=reverse("accounts:detail", args=[pk]) + "#billing",
        submit_label=_("提交申请"),
    )


def billing_context(*, user: Any, account: Any) -> dict[str, Any]:
    """The billing tab of the account page: monthly bills, products, what billing proposes."""
    series = billing_selectors.monthly_spend(user=user, account=account, months=24)
    peak = float(max((v for _m, v in series), default=0) or 1)
    bars = []
    for i, (month, value) in enumerate(series):
        height = round(max(float(value), 0.0) / peak * 110, 1)
        bars.append(
            {"month": month, "value": value, "x": i * 20 + 2, "y": 115 - height, "h": height}
        )
    return {
        "spend_bars": bars,
        "spend_products": billing_selectors.spend_by_product(user=user, account=account, months=12),
        "grade_proposal": grading.account_grade_proposal(user=user, account=account),
        "pending_proposal": GradeChangeProposal.objects.filter(
            account=account, status=DecisionStatus.PENDING
        ).first(),
    }
