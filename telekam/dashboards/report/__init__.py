"""The monthly management report (issue 7 point 7): the figures of a month and of its year
to date, as a PDF and as an Excel workbook, on demand for anyone who sees a dashboard (in
their own scope) and every month for the department (`report_store`, run by
`telekam.dashboards.tasks` and `telekam management-report`).

Every figure comes from `selectors.dashboard` (once for the month, once for the year to
date), so the report always says what the dashboard says."""

from telekam.dashboards.report.data import (
    PDF,
    STORED_NAME,
    XLSX,
    KpiLine,
    ManagementReport,
    TopLine,
    report_data,
)
from telekam.dashboards.report.pdf import report_pdf
from telekam.dashboards.report.store import report_store, reports_dir, stored_name
from telekam.dashboards.report.xlsx import report_workbook

__all__ = [
    "PDF", "STORED_NAME", "XLSX", "KpiLine", "ManagementReport", "TopLine", "report_data",
    "report_pdf", "report_store", "report_workbook", "reports_dir", "stored_name",
]  # fmt: skip
