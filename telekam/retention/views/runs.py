"""The data side of the churn part: the runs (ingests and signal jobs) with their reports,
uploading a call-record file, importing cancellation orders, and the rules and thresholds."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telekam.accounts.models import GradeBand, Segment
from telekam.core import clock
from telekam.core.errors import ApplicationError
from telekam.core.forms import attach_error, submit
from telekam.core.http import AuthedHttpRequest
from telekam.retention import access, selectors, services
from telekam.retention.forms import (
    THRESHOLD_FIELDS,
    AreaCodeForm,
    CallFileForm,
    CancellationFileForm,
    CompetitorRuleForm,
    ThresholdAddForm,
    ThresholdForm,
)
from telekam.retention.models import (
    ChurnThreshold,
    CompetitorRule,
    LocalAreaCode,
    Run,
    RunKind,
    RunStatus,
)
from telekam.retention.services import rules as rule_services
from telekam.retention.views.warnings import section_context

REFRESH_SECONDS = 5
REASON_LABELS = {
    "malformed_line": gettext_lazy("行格式错误（列数不符）"),
    "bad_call_start": gettext_lazy("通话开始时间无效"),
    "bad_calling_line": gettext_lazy("主叫号码无效"),
    "bad_called_number": gettext_lazy("被叫号码无效"),
    "bad_dialled_prefix": gettext_lazy("拨号前缀无效"),
    "bad_trunk_carrier": gettext_lazy("出中继运营商无效"),
    "bad_duration": gettext_lazy("通话时长无效"),
    "bad_charge": gettext_lazy("话费无效"),
}
REPORT_LABELS = {
    "matched_calls": gettext_lazy("匹配到客户的通话数"),
    "accounts_with_calls": gettext_lazy("有通话的客户数"),
    "accounts": gettext_lazy("参与评估的客户数"),
    "month": gettext_lazy("评估月份"),
    "new": gettext_lazy("新导入退租单"),
    "existing": gettext_lazy("已导入过的退租单"),
    "warnings_created": gettext_lazy("新预警"),
    "warnings_updated": gettext_lazy("更新的预警"),
    "warnings_unchanged": gettext_lazy("无变化的预警"),
    "seconds": gettext_lazy("耗时（秒）"),
    "duplicate_of": gettext_lazy("与此前作业重复"),
}
SHOWN_ELSEWHERE = {"days", "reasons", "samples", "quarantine"}


def _sees(user: Any) -> None:
    if not access.sees_warnings(user):
        raise DjangoPermissionDenied


def _runs_jobs(user: Any) -> None:
    if not access.can_run_jobs(user):
        raise DjangoPermissionDenied


def _rate(run: Run, now: Any) -> float | None:
    if run.status == RunStatus.RUNNING:
        secs = (now - run.started_at).total_seconds()
        return run.rows_in / secs if secs > 0 and run.rows_in else None
    return run.rate


# --- runs ----------------------------------------------------------------------------------


@login_required
def run_list(request: AuthedHttpRequest) -> HttpResponse:
    """Recent runs; for those who run the jobs: upload a call file, run the signal jobs."""
    _sees(request.user)
    if request.method == "POST":
        return _run_action(request)
    return _render_runs(request)


def _render_runs(
    request: AuthedHttpRequest, upload_form: CallFileForm | None = None
) -> HttpResponse:
    runs = selectors.runs_recent()
    now = clock.now()
    rows = [{"run": r, "rate": _rate(r, now)} for r in runs]
    running = any(r.status == RunStatus.RUNNING for r in runs)
    can_run = access.can_run_jobs(request.user)
    return render(
        request,
        "retention/runs.html",
        {
            **section_context(request.user),
            "rows": rows,
            "running": running,
            "refresh_seconds": REFRESH_SECONDS,
            "can_run": can_run,
            "upload_form": (upload_form or CallFileForm()) if can_run else None,
        },
        status=400 if upload_form is not None and upload_form.errors else 200,
    )


def _run_action(request: AuthedHttpRequest) -> HttpResponse:
    _runs_jobs(request.user)
    op = request.POST.get("op", "")
    if op == "upload":
        form = CallFileForm(request.POST, request.FILES)
        if not form.is_valid():
            return _render_runs(request, upload_form=form)
        run = _ingest_upload(request, form.cleaned_data["file"])
    elif op == "call_signals":
        run = _guarded(lambda: services.call_signals_run(actor=request.user))
    elif op == "spend_signals":
        run = _guarded(lambda: services.spend_signals_run(actor=request.user))
    else:
        raise Http404
    if run is None or run.status == RunStatus.FAILED:
        messages.error(request, _("作业失败，原因见作业报告。"))
    elif run.status == RunStatus.SKIPPED:
        messages.warning(request, _("同一文件此前已入库，本次未做任何改动。"))
    else:
        messages.success(request, _("作业完成：%(r)s。") % {"r": run})
    if run is None:
        return redirect("retention:runs")
    return redirect("retention:run", run.pk)


def _guarded(job: Any) -> Run | None:
    """Run a job; a failure is recorded on its run (run_recorded) and shown there, so the
    page does not break: it returns the failed run."""
    started = clock.now()
    try:
        return job()  # type: ignore[no-any-return]
    except Exception:  # the run row already holds the error text
        return (
            Run.objects.filter(started_at__gte=started, status=RunStatus.FAILED)
            .order_by("-id")
            .first()
        )


def _ingest_upload(request: AuthedHttpRequest, upload: Any) -> Run | None:
    """Save the upload under <lake>/inbox/<random>/<name> (the run keeps the file's own
    name), land it, then remove the copy: the lake holds what was landed."""
    inbox = Path(settings.TELEKAM_LAKE_DIR) / "inbox" / uuid.uuid4().hex
    inbox.mkdir(parents=True, exist_ok=True)
    name = get_valid_filename(Path(upload.name).name) or "calls.csv"
    path = inbox / name
    try:
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        return _guarded(lambda: services.calls_ingest(path=path, actor=request.user))
    finally:
        shutil.rmtree(inbox, ignore_errors=True)


@login_required
def run_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One run's report: the days it touched, why rows were quarantined, sample rows."""
    _sees(request.user)
    run = Run.objects.select_related("started_by").filter(pk=pk).first()
    if run is None:
        raise Http404
    report = run.report or {}
    reasons = sorted(
        (
            {"code": code, "label": REASON_LABELS.get(code, code), "count": count}
            for code, count in (report.get("reasons") or {}).items()
        ),
        key=lambda r: (-r["count"], r["code"]),
    )
    samples = [
        {**s, "reason_label": REASON_LABELS.get(s.get("reason") or "", s.get("reason"))}
        for s in report.get("samples") or []
    ]
    other = [
        {"key": k, "label": REPORT_LABELS.get(k, k), "value": v}
        for k, v in report.items()
        if k not in SHOWN_ELSEWHERE
    ]
    duplicate = Run.objects.filter(pk=report.get("duplicate_of") or 0).first()
    return render(
        request,
        "retention/run.html",
        {
            **section_context(request.user),
            "run": run,
            "rate": _rate(run, clock.now()),
            "days": report.get("days") or [],
            "reasons": reasons,
            "samples": samples,
            "other": other,
            "duplicate": duplicate,
            "refresh": run.status == RunStatus.RUNNING,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


# --- cancellation orders -------------------------------------------------------------------


@login_required
def cancellations_import(request: AuthedHttpRequest) -> HttpResponse:
    """Import a file of cancellation orders: all rows or none."""
    _runs_jobs(request.user)
    form = CancellationFileForm(request.POST or None, request.FILES or None)
    row_errors: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = services.cancellations_import(
                    actor=request.user, file_name=upload.name, content=upload.read()
                )
            except services.CancellationImportInvalid as error:
                row_errors = list(error.details or [])
                form.add_error(None, error.message)
            except ApplicationError as error:
                attach_error(form, error)
            else:
                report = run.report or {}
                messages.success(
                    request,
                    _("已导入退租单 %(new)d 张（%(old)d 张此前已导入）。")
                    % {"new": report.get("new", 0), "old": report.get("existing", 0)},
                )
                return redirect("retention:run", run.pk)
        status = 400
    recent = Run.objects.filter(kind=RunKind.CANCELLATIONS).select_related("started_by")[:10]
    return render(
        request,
        "retention/cancellations_import.html",
        {**section_context(request.user), "form": form, "row_errors": row_errors, "recent": recent},
        status=status,
    )


# --- rules and thresholds ------------------------------------------------------------------


def _threshold_grades() -> Any:
    """The grades that may get a threshold row of their own: the key segment's."""
    return GradeBand.objects.filter(segment=Segment.KEY, churn_threshold__isnull=True).order_by(
        "rank"
    )


@login_required
def rules(request: AuthedHttpRequest) -> HttpResponse:
    """Competitor prefixes and trunk carriers, local area codes, thresholds per grade."""
    _sees(request.user)
    can_edit = access.can_run_jobs(request.user)
    bound: dict[str, Any] = {}
    if request.method == "POST":
        _runs_jobs(request.user)
        result = _rules_post(request)
        if isinstance(result, HttpResponse):
            return result
        bound = result
    thresholds = list(ChurnThreshold.objects.select_related("grade").order_by("grade__rank"))
    thresholds.sort(key=lambda t: (t.grade_id is not None, t.grade.rank if t.grade else 0))
    rule_rows = list(CompetitorRule.objects.all())
    ctx: dict[str, Any] = {
        **section_context(request.user),
        "can_edit": can_edit,
        "rule_rows": [
            {
                "rule": r,
                "form": bound.get(f"rule-{r.pk}")
                or (
                    CompetitorRuleForm(initial=model_to_dict(r), prefix=f"r{r.pk}")
                    if can_edit
                    else None
                ),
            }
            for r in rule_rows
        ],
        "areas": list(LocalAreaCode.objects.all()),
        "threshold_rows": [
            {
                "t": t,
                "form": bound.get(f"threshold-{t.pk}")
                or (
                    ThresholdForm(
                        initial=model_to_dict(t, fields=THRESHOLD_FIELDS), prefix=f"t{t.pk}"
                    )
                    if can_edit
                    else None
                ),
            }
            for t in thresholds
        ],
        "threshold_fields": THRESHOLD_FIELDS,
        "threshold_labels": [ThresholdForm().fields[f].label for f in THRESHOLD_FIELDS],
    }
    if can_edit:
        ctx["rule_form"] = bound.get("rule_add") or CompetitorRuleForm(prefix="new")
        ctx["area_form"] = bound.get("area_add") or AreaCodeForm(prefix="area")
        grades = _threshold_grades()
        ctx["threshold_add_form"] = bound.get("threshold_add") or (
            ThresholdAddForm(grades=grades, prefix="tnew") if grades.exists() else None
        )
    return render(request, "retention/rules.html", ctx, status=400 if bound else 200)


def _pk(request: AuthedHttpRequest) -> int:
    try:
        return int(request.POST.get("pk") or 0)
    except ValueError:
        return 0


def _rules_post(request: AuthedHttpRequest) -> HttpResponse | dict[str, Any]:
    """Apply one change; a redirect when written, else the bound form (by its slot)."""
    actor = request.user
    op = request.POST.get("op", "")
    form: Any
    if op == "rule_add":
        form, slot = CompetitorRuleForm(request.POST, prefix="new"), "rule_add"
        done = submit(form, lambda d: rule_services.competitor_rule_create(actor=actor, **d))
        message = _("已新增识别规则。")
    elif op == "rule_update":
        rule = CompetitorRule.objects.filter(pk=_pk(request)).first()
        if rule is None:
            raise Http404
        form, slot = CompetitorRuleForm(request.POST, prefix=f"r{rule.pk}"), f"rule-{rule.pk}"
        done = submit(
            form, lambda d: rule_services.competitor_rule_update(actor=actor, rule=rule, **d)
        )
        message = _("识别规则已保存。")
    elif op == "area_add":
        form, slot = AreaCodeForm(request.POST, prefix="area"), "area_add"
        done = submit(form, lambda d: rule_services.local_area_code_create(actor=actor, **d))
        message = _("已新增本地区号。")
    elif op == "area_delete":
        area = LocalAreaCode.objects.filter(pk=_pk(request)).first()
        if area is None:
            raise Http404
        rule_services.local_area_code_delete(actor=actor, area=area)
        messages.success(request, _("已删除本地区号 %(c)s。") % {"c": area.code})
        return redirect("retention:rules")
    elif op == "threshold_update":
        row = ChurnThreshold.objects.filter(pk=_pk(request)).first()
        if row is None:
            raise Http404
        t_form = ThresholdForm(request.POST, prefix=f"t{row.pk}")
        form, slot = t_form, f"threshold-{row.pk}"
        done = submit(
            t_form,
            lambda d: rule_services.churn_threshold_update(actor=actor, threshold=row, values=d),
        )
        message = _("阈值已保存。")
    elif op == "threshold_add":
        a_form = ThresholdAddForm(request.POST, grades=_threshold_grades(), prefix="tnew")
        form, slot = a_form, "threshold_add"
        done = submit(
            a_form,
            lambda d: rule_services.churn_threshold_create(
                actor=actor, grade=d.pop("grade"), values=d
            ),
        )
        message = _("已为该等级设置单独的阈值。")
    elif op == "threshold_delete":
        threshold = ChurnThreshold.objects.select_related("grade").filter(pk=_pk(request)).first()
        if threshold is None:
            raise Http404
        try:
            rule_services.churn_threshold_delete(actor=actor, threshold=threshold)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已删除该等级的阈值，改用默认阈值。"))
        return redirect("retention:rules")
    else:
        raise Http404
    if done:
        messages.success(request, message)
        return redirect("retention:rules")
    return {slot: form}
