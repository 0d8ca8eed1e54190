"""The stored department report of each month, and the heads' notification."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from telekam.core.services import notification_send
from telekam.dashboards.kpis import month_first
from telekam.dashboards.report.data import report_data
from telekam.dashboards.report.pdf import report_pdf
from telekam.dashboards.report.xlsx import report_workbook
from telekam.org.models import Role, User

logger = logging.getLogger(__name__)


# --- the stored department report -------------------------------------------------------------


def reports_dir() -> Path:
    """Where the scheduled reports go: `reports/` in the var directory (TELEKAM_VAR_DIR)."""
    return Path(settings.VAR_DIR) / "reports"


def stored_name(month: dt.date, ext: str) -> str:
    return f"management-{month:%Y-%m}.{ext}"


def _department_viewer() -> User | None:
    """Whose eyes the department report is built through: an active department head,
    else an analyst or the administrator (they all see every account)."""
    for roles in ((Role.DEPARTMENT_HEAD,), (Role.ANALYST, Role.ADMIN)):
        user = User.objects.filter(is_active=True, role__in=roles).order_by("pk").first()
        if user is not None:
            return user
    return None


def _write(path: Path, content: bytes) -> None:
    """Replace `path` whole: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report_store(*, month: dt.date, today: dt.date) -> list[Path]:
    """Build the department's report of `month` and write it to
    `<var>/reports/management-YYYY-MM.pdf` and `.xlsx` (a re-run overwrites them), then
    tell every active department head, once per month however often this runs. Returns
    the paths written (none when there is nobody to build the report for)."""
    month = month_first(month)
    viewer = _department_viewer()
    if viewer is None:
        logger.warning(
            "Management report %s skipped: no active department head, analyst or admin.",
            f"{month:%Y-%m}",
        )
        return []
    data = report_data(user=viewer, month=month, today=today)
    folder = reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, render in (("pdf", report_pdf), ("xlsx", report_workbook)):
        path = folder / stored_name(month, ext)
        _write(path, render(data))
        paths.append(path)
    pdf_url = reverse("dashboards:stored_report", args=[stored_name(month, "pdf")])
    xlsx_url = reverse("dashboards:stored_report", args=[stored_name(month, "xlsx")])
    for head in User.objects.filter(is_active=True, role=Role.DEPARTMENT_HEAD).order_by("pk"):
        notification_send(
            user=head,
            key=f"management-report:{month:%Y-%m}",
            title=_("%(title)s已生成") % {"title": data.title},
            body=_(
                "全部门本月及年累计的关键指标、行业组和客户经理排名、客户等级分布与重点客户。"
                "Excel 版：%(xlsx)s"
            )
            % {"xlsx": xlsx_url},
            url=pdf_url,
        )
    logger.info("Management report %s written: %s", f"{month:%Y-%m}", [str(p) for p in paths])
    return paths
