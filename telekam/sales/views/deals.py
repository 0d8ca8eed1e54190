"""From solution to working service: solutions with their attachments, versioned quotes and
their approval, the approvals queue, contracts (draft, signature, provisioning orders),
implementation projects with their tasks and plan, and the product catalogue.

Every page is for the sales roles only (telekam.sales.access.can_use_sales): the service
desk and operations get a 403. What the user may not see is a 404; an action its role may
not take is a 403; a business rule that refuses an action is a message, never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telekam.catalog.models import Product
from telekam.core import clock
from telekam.core.errors import ApplicationError, NotFound, PermissionDenied
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.org.models import Role, User
from telekam.sales import access, selectors, services
from telekam.sales.forms import (
    AttachmentForm,
    ContractForm,
    ContractSignForm,
    PlanForm,
    ProjectForm,
    QuoteActionForm,
    QuoteForm,
    QuoteLineFormSet,
    SolutionForm,
    TaskForm,
)
from telekam.sales.models import (
    OPEN_STAGES,
    Contract,
    ContractStatus,
    Opportunity,
    Project,
    ProjectTask,
    Quote,
    QuoteStatus,
    Solution,
    SolutionAttachment,
    TaskStatus,
)
from telekam.sales.services.quotes import limit_for
from telekam.service.models import ProvisioningOrder, ProvisioningPolicy

V = TypeVar("V", bound=Callable[..., HttpResponseBase])
QUOTE_ACTIONS = ("submit", "approve", "reject", "accept")
CONTRACT_ACTIONS = ("update", "sign", "project")
CONTRACT_FILTERS = ("", "draft", "signed", "terminated", "expiring")


def sales_only(view: V) -> V:
    """The sales pages are not for the service desk and operations (prices, discounts)."""

    @functools.wraps(view)
    def wrapped(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not access.can_use_sales(request.user):
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return cast(V, wrapped)


def _visible(get: Callable[..., Any], request: AuthedHttpRequest, pk: int) -> Any:
    try:
        return get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _visible_opportunities(user: User) -> QuerySet[Opportunity, Any]:
    return access.opportunities_visible_to(user).values("pk")


def _solution(request: AuthedHttpRequest, pk: int) -> Solution:
    """A solution of an opportunity the user may see (404 otherwise)."""
    qs = Solution.objects.filter(
        opportunity__in=_visible_opportunities(request.user)
    ).select_related(
        "opportunity",
        "opportunity__account",
        "opportunity__account__grade",
        "opportunity__prospect",
        "opportunity__owner",
        "presales",
    )
    solution = qs.filter(pk=pk).first()
    if solution is None:
        raise Http404
    return solution


def _require(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def _presales_of(opportunity: Opportunity) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, role=Role.PRESALES, group_id=opportunity.group_id
        ).order_by("last_name", "first_name", "username")
    )


def _staff_of(opportunity: Opportunity, *also: int | None) -> list[User]:
    """Who may run an implementation project or own one of its tasks: the sales staff of the
    deal's group, its AM, and whoever holds the job already."""
    wanted = Q(
        group_id=opportunity.group_id,
        role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD, Role.PRESALES],
    ) | Q(pk=opportunity.owner_id)
    ids = [pk for pk in also if pk]
    if ids:
        wanted |= Q(pk__in=ids)
    return list(
        User.objects.filter(wanted, is_active=True).order_by("role", "last_name", "first_name")
    )


# --- solutions ------------------------------------------------------------------------------


@login_required
@sales_only
@require_http_methods(["GET", "POST"])
def solution_new(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    opportunity = _visible(selectors.opportunity_get_visible, request, pk)
    _require(access.can_work_solution(request.user, opportunity))
    presales = _presales_of(opportunity)
    form = SolutionForm(request.POST or None, presales=presales)
    created: list[Solution] = []
    if request.method == "POST" and submit(
        form,
        lambda data: created.append(
            services.solution_create(
                actor=request.user,
                opportunity=opportunity,
                title=data["title"],
                proposal=data["proposal"],
                presales=data["presales"],
            )
        ),
    ):
        messages.success(request, _("方案已创建。"))
        return redirect("sales:solution_detail", created[0].pk)
    return render(
        request,
        "sales/solution_form.html",
        {"section": "sales", "opportunity": opportunity, "form": form},
    )


@login_required
@sales_only
@require_GET
def solution_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _solution_page(request, _solution(request, pk))


def _solution_page(
    request: AuthedHttpRequest, solution: Solution, attachment_form: AttachmentForm | None = None
) -> HttpResponse:
    opportunity = solution.opportunity
    can_work = access.can_work_solution(request.user, opportunity)
    quotes = list(
        solution.quotes.select_related("submitted_by", "decided_by")
        .prefetch_related("lines__product")
        .order_by("-revision")
    )
    return render(
        request,
        "sales/solution_detail.html",
        {
            "section": "sales",
            "solution": solution,
            "opportunity": opportunity,
            "attachments": list(solution.attachments.select_related("uploaded_by")),
            "rows": [(quote, selectors.quote_figures(quote)) for quote in quotes],
            "can_work": can_work,
            "can_quote": can_work and opportunity.stage in OPEN_STAGES,
            "attachment_form": attachment_form or (AttachmentForm() if can_work else None),
        },
        status=400 if attachment_form is not None else 200,
    )


@login_required
@sales_only
@require_POST
def attachment_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    solution = _solution(request, pk)
    _require(access.can_work_solution(request.user, solution.opportunity))
    form = AttachmentForm(request.POST, request.FILES)

    def run(data: dict[str, Any]) -> None:
        upload: UploadedFile = data["file"]
        services.attachment_add(actor=request.user, solution=solution, upload=upload)

    if submit(form, run):
        messages.success(request, _("附件已上传。"))
        return redirect("sales:solution_detail", pk)
    return _solution_page(request, solution, attachment_form=form)


@login_required
@sales_only
@require_GET
def attachment_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    attachment = (
        SolutionAttachment.objects.filter(
            solution__opportunity__in=_visible_opportunities(request.user)
        )
        .filter(pk=pk)
        .first()
    )
    if attachment is None or not attachment.file:
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# --- quotes ---------------------------------------------------------------------------------


def _line_initial(quote: Quote | None) -> list[dict[str, Any]]:
    """The lines of the latest version, to start the next one from."""
    if quote is None:
        return []
    return [
        {
            "product": str(line.product_id),
            "quantity": line.quantity,
            "term_months": line.term_months,
            "monthly_price": line.monthly_price,
            "one_time_price": line.one_time_price,
            "discount_pct": line.discount_pct,
        }
        for line in quote.lines.all()
    ]


@login_required
@sales_only
@require_http_methods(["GET", "POST"])
def quote_new(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    solution = _solution(request, pk)
    opportunity = solution.opportunity
    _require(access.can_work_solution(request.user, opportunity))
    products = list(Product.objects.filter(is_active=True))
    latest = solution.quotes.prefetch_related("lines__product").order_by("-revision").first()
    kwargs = {"prefix": "lines", "form_kwargs": {"products": products}}
    if request.method == "POST":
        form = QuoteForm(request.POST)
        formset = QuoteLineFormSet(request.POST, **kwargs)  # type: ignore[arg-type]
        created: list[Quote] = []
        if formset.is_valid():
            lines = [
                data
                for data in formset.cleaned_data
                if data and not data.get("DELETE") and data.get("product") is not None
            ]

            def run(data: dict[str, Any]) -> None:
                created.append(
                    services.quote_create(
                        actor=request.user,
                        solution=solution,
                        lines=lines,
                        valid_until=data["valid_until"],
                        note=data["note"],
                    )
                )

            if submit(form, run):
                quote = created[0]
                messages.success(
                    request,
                    _("报价 %(n)s（第 %(r)d 版）已保存为草稿。")
                    % {"n": quote.number, "r": quote.revision},
                )
                return redirect("sales:quote_detail", quote.pk)
        else:
            form.is_valid()  # show the errors of both parts at once
    else:
        initial = _line_initial(latest)
        form = QuoteForm(initial={"note": latest.note} if latest else None)
        formset = QuoteLineFormSet(initial=initial or None, **kwargs)  # type: ignore[arg-type]
    return render(
        request,
        "sales/quote_form.html",
        {
            "section": "sales",
            "solution": solution,
            "opportunity": opportunity,
            "form": form,
            "formset": formset,
            "latest": latest,
            "products": products,
        },
    )


def _quote_actions(user: User, quote: Quote) -> dict[str, Any]:
    """The steps the user may take on the quote now, and why an approval is not theirs."""
    opportunity = quote.solution.opportunity
    actions: dict[str, Any] = {}
    if quote.status == QuoteStatus.DRAFT and access.can_work_solution(user, opportunity):
        actions["submit"] = True
    if quote.status == QuoteStatus.PENDING and access.can_decide_quote(user, opportunity):
        if quote.submitted_by_id == user.pk:
            actions["own"] = True
        else:
            actions["reject"] = True
            own_limit = limit_for(user.role)
            if services.max_discount(quote) <= own_limit:
                actions["approve"] = True
            else:
                actions["over_limit"] = own_limit
    if quote.status == QuoteStatus.APPROVED and access.can_edit_opportunity(user, opportunity):
        actions["accept"] = True
    return actions


@login_required
@sales_only
@require_GET
def quote_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    quote = _visible(selectors.quote_get_visible, request, pk)
    opportunity = quote.solution.opportunity
    can_work = access.can_work_solution(request.user, opportunity)
    contract = Contract.objects.filter(quote=quote).only("pk", "number", "status").first()
    return render(
        request,
        "sales/quote_detail.html",
        {
            "section": "sales",
            "quote": quote,
            "solution": quote.solution,
            "opportunity": opportunity,
            "lines": list(quote.lines.all()),
            "figures": selectors.quote_figures(quote),
            "actions": _quote_actions(request.user, quote),
            "action_form": QuoteActionForm(initial={"version": quote.version}, auto_id=False),
            "can_new_version": can_work and opportunity.stage in OPEN_STAGES,
            "contract": contract,
            "today": clock.today(),
        },
    )


@login_required
@sales_only
@require_POST
def quote_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in QUOTE_ACTIONS:
        raise Http404
    quote = _visible(selectors.quote_get_visible, request, pk)
    opportunity = quote.solution.opportunity
    user = request.user
    _require(
        {
            "submit": access.can_work_solution(user, opportunity),
            "approve": access.can_decide_quote(user, opportunity),
            "reject": access.can_decide_quote(user, opportunity),
            "accept": access.can_edit_opportunity(user, opportunity),
        }[action]
    )
    form = QuoteActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("页面数据不完整，请刷新后重试。"))
        return redirect("sales:quote_detail", pk)
    version, note = form.cleaned_data["version"], form.cleaned_data["note"]
    try:
        if action == "submit":
            quote = services.quote_submit(actor=user, quote=quote, expected_version=version)
        elif action == "accept":
            quote = services.quote_accept(actor=user, quote=quote, expected_version=version)
        else:
            quote = services.quote_decide(
                actor=user,
                quote=quote,
                approve=action == "approve",
                expected_version=version,
                note=note,
            )
    except (PermissionDenied, NotFound):
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("sales:quote_detail", pk)
    if quote.status == QuoteStatus.PENDING:
        messages.info(
            request,
            _("报价已提交，折扣超出您的权限，等待%(r)s审批。")
            % {"r": quote.get_approver_role_display()},
        )
    elif action == "accept":
        messages.success(request, _("已登记客户接受报价，商机进入合同签订阶段。"))
    else:
        messages.success(request, _("报价状态：%(s)s。") % {"s": quote.get_status_display()})
    return redirect("sales:quote_detail", pk)


@login_required
@sales_only
@require_GET
def quote_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    from telekam.sales.pdf import quote_pdf as render_pdf

    quote = _visible(selectors.quote_get_visible, request, pk)
    pdf = render_pdf(quote=quote, figures=selectors.quote_figures(quote))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


@login_required
@sales_only
@require_GET
def approvals(request: AuthedHttpRequest) -> HttpResponse:
    """The quotes waiting for the signed-in group lead or department head."""
    qs = (
        selectors.quotes_awaiting(user=request.user)
        .select_related("solution__opportunity__account__grade", "solution__opportunity__prospect")
        .prefetch_related("lines__product")
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    rows = [(quote, selectors.quote_figures(quote)) for quote in page.object_list]
    return render(
        request,
        "sales/approvals.html",
        {"section": "approvals", "page": page, "rows": rows},
    )


# --- contracts ------------------------------------------------------------------------------


def _expiring(qs: QuerySet[Contract], today: dt.date) -> QuerySet[Contract]:
    """Signed contracts whose end lies within their own renewal lead time."""
    leads = sorted(set(qs.values_list("renewal_lead_days", flat=True)))
    within = Q(pk__in=[])
    for lead in leads:
        within |= Q(renewal_lead_days=lead, end_on__lte=today + dt.timedelta(days=lead))
    return qs.filter(within)


@login_required
@sales_only
@require_GET
def contract_list(request: AuthedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in CONTRACT_FILTERS:
        status = ""
    q = request.GET.get("q", "").strip()[:100]
    today = clock.today()
    if status == "expiring":
        qs = _expiring(selectors.contracts_for_renewal(user=request.user, today=today), today)
    else:
        qs = Contract.objects.filter(opportunity__in=_visible_opportunities(request.user))
        if status:
            qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(number__iexact=q) | Q(account__name__icontains=q))
    order = ("end_on", "id") if status == "expiring" else ("-created_at", "-id")
    qs = (
        qs.select_related("account", "opportunity", "opportunity__owner")
        .annotate(monthly=Sum("lines__monthly_fee"))
        .order_by(*order)
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/contract_list.html",
        {
            "section": "contracts",
            "page": page,
            "status": status,
            "q": q,
            "statuses": ContractStatus.choices,
            "today": today,
        },
    )


def _contract_forms(user: User, contract: Contract) -> dict[str, Any]:
    if not access.can_edit_opportunity(user, contract.opportunity):
        return {}
    v = {"version": contract.version}
    if contract.status == ContractStatus.DRAFT:
        return {
            "update": ContractForm(
                initial={
                    **v,
                    "start_on": contract.start_on,
                    "term_months": contract.term_months,
                    "billing_method": contract.billing_method,
                    "sla_class": contract.sla_class,
                    "sla_level": contract.sla_level,
                    "renewal_lead_days": contract.renewal_lead_days,
                    "specification": contract.specification,
                }
            ),
            "sign": ContractSignForm(
                initial={**v, "signed_on": clock.today()}, lines=contract.lines.all()
            ),
        }
    if contract.status == ContractStatus.SIGNED:
        return {
            "project": ProjectForm(
                initial={"name": contract.opportunity.name},
                staff=_staff_of(contract.opportunity),
            )
        }
    return {}


def _contract_page(
    request: AuthedHttpRequest, contract: Contract, bound: dict[str, Any] | None = None
) -> HttpResponse:
    forms = _contract_forms(request.user, contract)
    if bound:
        forms.update(bound)
    lines = list(contract.lines.all())
    order_ids = [order.pk for line in lines for order in line.orders.all()]
    orders = list(
        ProvisioningOrder.objects.filter(pk__in=order_ids)
        .select_related("request", "product")
        .order_by("id")
    )
    projects = list(
        contract.projects.select_related("manager").prefetch_related(
            Prefetch("tasks", queryset=ProjectTask.objects.only("id", "project_id", "progress"))
        )
    )
    progress = {p.pk: _progress(list(p.tasks.all())) for p in projects}
    return render(
        request,
        "sales/contract_detail.html",
        {
            "section": "contracts",
            "contract": contract,
            "opportunity": contract.opportunity,
            "lines": lines,
            "totals": {
                "monthly": sum((line.monthly_fee for line in lines), Decimal("0.00")),
                "one_time": sum((line.one_time_fee for line in lines), Decimal("0.00")),
            },
            "orders": orders,
            "projects": [(p, progress[p.pk]) for p in projects],
            "forms": forms,
        },
        status=400 if bound else 200,
    )


@login_required
@sales_only
@require_GET
def contract_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _contract_page(request, _visible(selectors.contract_get_visible, request, pk))


@login_required
@sales_only
@require_POST
def contract_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in CONTRACT_ACTIONS:
        raise Http404
    contract = _visible(selectors.contract_get_visible, request, pk)
    _require(access.can_edit_opportunity(request.user, contract.opportunity))
    user = request.user
    created: list[Project] = []
    bound: Any
    if action == "update":
        bound = ContractForm(request.POST)

        def run(data: dict[str, Any]) -> None:
            version = data.pop("version")
            services.contract_update(
                actor=user, contract=contract, data=data, expected_version=version
            )

    elif action == "sign":
        bound = ContractSignForm(request.POST, lines=contract.lines.all())

        def run(data: dict[str, Any]) -> None:
            services.contract_sign(
                actor=user,
                contract=contract,
                signed_on=data["signed_on"],
                expected_version=data["version"],
                activation_dates=bound.activation_dates(),
            )

    else:
        bound = ProjectForm(request.POST, staff=_staff_of(contract.opportunity))

        def run(data: dict[str, Any]) -> None:
            created.append(
                services.project_create(
                    actor=user,
                    contract=contract,
                    kind=data["kind"],
                    name=data["name"],
                    manager=data["manager"],
                    start_on=data["start_on"],
                )
            )

    if submit(bound, run):
        if action == "project":
            messages.success(request, _("实施项目已建立。"))
            return redirect("sales:project_detail", created[0].pk)
        if action == "sign":
            count = ProvisioningOrder.objects.filter(pk__in=contract.lines.values("orders")).count()
            messages.success(request, _("合同已签订，已生成开通工单 %(k)d 张。") % {"k": count})
        else:
            messages.success(request, _("合同已保存。"))
        return redirect("sales:contract_detail", pk)
    contract = _visible(selectors.contract_get_visible, request, pk)
    return _contract_page(request, contract, bound={action: bound})


# --- projects -------------------------------------------------------------------------------


def _progress(tasks: list[ProjectTask]) -> int:
    if not tasks:
        return 0
    return round(sum(t.progress for t in tasks) / len(tasks))


def _can_edit_task(user: User, project: Project, task: ProjectTask) -> bool:
    if user.pk in (project.manager_id, task.owner_id):
        return True
    return access.can_edit_opportunity(user, project.contract.opportunity)


def _can_upload_plan(user: User, project: Project) -> bool:
    return user.pk == project.manager_id or access.can_edit_opportunity(
        user, project.contract.opportunity
    )


def _task_form(task: ProjectTask, staff: list[User], data: Any = None) -> TaskForm:
    return TaskForm(
        data,
        prefix=f"task-{task.pk}",
        staff=staff,
        initial={
            "version": task.version,
            "status": task.status,
            "progress": task.progress,
            "owner": str(task.owner_id or ""),
            "due_on": task.due_on,
        },
    )


def _project_page(
    request: AuthedHttpRequest,
    project: Project,
    *,
    bound_task: tuple[int, TaskForm] | None = None,
    plan_form: PlanForm | None = None,
) -> HttpResponse:
    user = request.user
    tasks = list(project.tasks.all())
    opportunity = project.contract.opportunity
    editable = [t for t in tasks if _can_edit_task(user, project, t)]
    staff = (
        _staff_of(opportunity, project.manager_id, *(t.owner_id for t in tasks)) if editable else []
    )
    task_forms: dict[int, TaskForm] = {t.pk: _task_form(t, staff) for t in editable}
    if bound_task:
        task_forms[bound_task[0]] = bound_task[1]
    today = clock.today()
    can_upload = _can_upload_plan(user, project)
    return render(
        request,
        "sales/project_detail.html",
        {
            "section": "contracts",
            "project": project,
            "contract": project.contract,
            "opportunity": opportunity,
            "rows": [
                (t, task_forms.get(t.pk), t.status != TaskStatus.DONE and t.due_on < today)
                for t in tasks
            ],
            "progress": _progress(tasks),
            "plan_form": plan_form
            or (PlanForm(initial={"version": project.version}) if can_upload else None),
            "plan_name": project.plan.name.rsplit("/", 1)[-1] if project.plan else "",
        },
        status=400 if bound_task or plan_form else 200,
    )


@login_required
@sales_only
@require_GET
def project_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _project_page(request, _visible(selectors.project_get_visible, request, pk))


@login_required
@sales_only
@require_http_methods(["GET", "POST"])
def project_plan(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """GET: download the engineering plan; POST: upload a new one."""
    project = _visible(selectors.project_get_visible, request, pk)
    if request.method == "GET":
        if not project.plan:
            raise Http404
        name = project.plan.name.rsplit("/", 1)[-1]
        return FileResponse(project.plan.open("rb"), as_attachment=True, filename=name)
    _require(_can_upload_plan(request.user, project))
    form = PlanForm(request.POST, request.FILES)

    def run(data: dict[str, Any]) -> None:
        services.project_plan_upload(
            actor=request.user,
            project=project,
            upload=data["plan"],
            expected_version=data["version"],
        )

    if submit(form, run):
        messages.success(request, _("工程实施方案已上传。"))
        return redirect("sales:project_detail", pk)
    return _project_page(request, project, plan_form=form)


@login_required
@sales_only
@require_POST
def task_update(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project_id = ProjectTask.objects.filter(pk=pk).values_list("project_id", flat=True).first()
    if project_id is None:
        raise Http404
    project = _visible(selectors.project_get_visible, request, project_id)
    task = next((t for t in project.tasks.all() if t.pk == pk), None)
    if task is None:
        raise Http404
    _require(_can_edit_task(request.user, project, task))
    staff = _staff_of(project.contract.opportunity, project.manager_id, task.owner_id)
    form = _task_form(task, staff, request.POST)

    def run(data: dict[str, Any]) -> None:
        services.task_update(
            actor=request.user,
            task=task,
            expected_version=data["version"],
            status=data["status"],
            progress=data["progress"],
            owner=data["owner"],
            due_on=data["due_on"],
        )

    if submit(form, run):
        messages.success(request, _("任务“%(t)s”已更新。") % {"t": task.name})
        return redirect("sales:project_detail", project.pk)
    project = _visible(selectors.project_get_visible, request, project_id)
    return _project_page(request, project, bound_task=(pk, form))


# --- catalogue ------------------------------------------------------------------------------


@login_required
@sales_only
@require_GET
def catalogue(request: AuthedHttpRequest) -> HttpResponse:
    """The products on sale with their list prices and the provisioning classes each
    allows: two queries whatever the size of the catalogue."""
    products = list(Product.objects.filter(is_active=True))
    policies: dict[int, list[ProvisioningPolicy]] = defaultdict(list)
    for policy in ProvisioningPolicy.objects.filter(product__is_active=True).order_by(
        "product_id", "working_days"
    ):
        policies[policy.product_id].append(policy)
    return render(
        request,
        "sales/catalogue.html",
        {
            "section": "catalogue",
            "rows": [(p, policies.get(p.pk, [])) for p in products],
        },
    )
