"""The monthly management report against the hand-computed case of conftest.py (figures in
test_kpis): its PDF and workbook, the stored department report and its job, and who may
download which."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from telekam.core import clock
from telekam.core.models import Notification
from telekam.dashboards import report_views
from telekam.dashboards.report import (
    PDF,
    XLSX,
    report_data,
    report_pdf,
    report_store,
    report_workbook,
)
from telekam.dashboards.tasks import management_report_task
from telekam.dashboards.tests.conftest import OCT, TODAY
from telekam.org.models import Role, User
from telekam.org.tests.factories import UserFactory
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

MONTH_FIGURES = {
    "客户保有率（户数）": 50.0,
    "收入保有率": 61.9,
    "满意度": 40.0,
    "新增大客户": 1,
    "收入增长率": -4.8,
    "户均月收入": 5000,
    "开通及时率": 50.0,
    "回访覆盖率": 66.7,
    "拜访达标率": 50.0,
    "预警响应及时率": 33.3,
}
YEAR_FIGURES = {
    "客户保有率（户数）": 25.0,
    "收入保有率": 42.1,
    "满意度": 62.5,
    "新增大客户": 1,
    "收入增长率": 5.3,
    "户均月收入": 5000,
    "开通及时率": 50.0,
    "回访覆盖率": 57.1,
    "拜访达标率": 50.0,
    "预警响应及时率": 33.3,
}


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def pages_text(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return ["".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def kpi_rows(book) -> dict[str, tuple]:
    """The KPI sheet's table: label -> (unit, month, target, met, year, target, met)."""
    rows = list(book["指标"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[:2] == ("指标", "单位"))
    return {row[0]: tuple(row[1:]) for row in rows[start + 1 :]}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the figures and the documents ------------------------------------------------------------


def test_report_data_is_the_dashboard_of_the_month_and_the_year(world):
    data = report_data(user=world.head, month=OCT.replace(day=15), today=TODAY)
    assert data.month == OCT
    assert data.title == "大客户经营月报 2026年10月"
    assert (data.level, data.scope_title) == ("department", "全部门")
    assert {line.kpi.value: (line.month.figure.value, line.year.figure.value)
            for line in data.kpis}["retention_revenue"] == (D("61.9"), D("42.1"))  # fmt: skip
    assert [m for m, _f, _t in data.month_view.trend][-1] == OCT
    assert len(data.month_view.trend) == 12
    assert [(t.name, t.revenue, t.share_pct, t.change_month, t.change_year) for t in data.top] == [
        ("甲", D("12000.00"), D("60.0"), D("2000.00"), D("4000.00")),
        ("丙", D("4000.00"), D("20.0"), D("0.00"), D("0.00")),
        ("乙", D("3000.00"), D("15.0"), D("-2000.00"), D("-2000.00")),
        ("戊", D("1000.00"), D("5.0"), D("1000.00"), D("1000.00")),
    ]


def test_pdf(world):
    pages = pages_text(report_pdf(report_data(user=world.head, month=OCT, today=TODAY)))
    text = "".join(pages)
    assert pages[0].startswith("TeleKAM大客户经营月报2026年10月")
    for fragment in ("关键指标", "指标本月目标年累计年目标", "收入保有率61.9%—42.1%—",
                     "户均月收入¥5,000.00—¥5,000.00—", "行业组排名（本月）",
                     "客户经理排名（年累计）", "客户等级分布", "重点客户", "甲"):  # fmt: skip
        assert fragment in text, fragment


def test_pdf_of_an_am_has_no_league_tables(world):
    text = "".join(pages_text(report_pdf(report_data(user=world.am1, month=OCT, today=TODAY))))
    assert "收入保有率86.7%" in text
    assert "排名（本月）" not in text


def test_workbook_holds_the_hand_computed_figures(world):
    book = workbook(report_workbook(report_data(user=world.head, month=OCT, today=TODAY)))
    assert book.sheetnames == ["指标", "行业组", "客户经理", "客户等级", "重点客户", "趋势"]
    rows = kpi_rows(book)
    assert {label: row[1] for label, row in rows.items()} == MONTH_FIGURES
    assert {label: row[4] for label, row in rows.items()} == YEAR_FIGURES
    assert rows["收入保有率"][0] == "%"
    assert rows["户均月收入"][0] == "元"
    assert book["指标"]["B1"].value == "大客户经营月报 2026年10月"
    # numbers are numbers, with a number format
    sheet = book["指标"]
    cell = next(c for c in sheet["C"] if c.value == 61.9)
    assert isinstance(cell.value, float)
    assert cell.number_format == "0.0"
    groups = list(book["行业组"].iter_rows(values_only=True))
    assert groups[0][:4] == ("期间", "行业组", "客户保有率（户数）（%）", "收入保有率（%）")
    by_name = {(r[0], r[1]): r for r in groups[1:]}
    assert {name: r[3] for (period, name), r in by_name.items() if period == "本月"} == {
        str(world.a.group): 68.4,
        str(world.d.group): 0,
    }
    ams = list(book["客户经理"].iter_rows(values_only=True))
    am1 = next(r for r in ams if r[:2] == ("本月", str(world.am1)))
    assert (am1[2], am1[3], am1[4]) == (str(world.a.group), 100, 86.7)
    top = list(book["重点客户"].iter_rows(values_only=True))
    assert top[1][:7] == (1, world.a.code, "甲", 12000, 60, 2000, 4000)
    grades = list(book["客户等级"].iter_rows(values_only=True))
    assert sorted((r[1], r[2]) for r in grades[1:]) == [(1, 12000), (3, 8000)]
    trend = list(book["趋势"].iter_rows(values_only=True))
    assert (trend[-1][0], trend[-1][1], trend[-1][3], trend[-1][4]) == (
        "2026-10",
        61.9,
        13000,
        21000,
    )


def test_workbook_of_a_lead_has_its_ams_only(world):
    book = workbook(report_workbook(report_data(user=world.lead, month=OCT, today=TODAY)))
    assert book.sheetnames == ["指标", "客户经理", "客户等级", "重点客户", "趋势"]
    assert kpi_rows(book)["收入保有率"][1] == 68.4
    names = {r[1] for r in book["客户经理"].iter_rows(min_row=2, values_only=True)}
    assert names == {str(world.am1), str(world.am2)}


def test_missed_targets_are_marked(world):
    from telekam.dashboards.models import KpiTarget

    # a year's satisfaction target stands for its months too; a retention target does not
    KpiTarget.objects.create(kpi="satisfaction", year=2026, month=0, level="department",
                             value=D("90.00"))  # fmt: skip
    KpiTarget.objects.create(kpi="retention_revenue", year=2026, month=0, level="department",
                             value=D("40.00"))  # fmt: skip
    data = report_data(user=world.head, month=OCT, today=TODAY)
    rows = kpi_rows(workbook(report_workbook(data)))
    assert rows["满意度"] == ("%", 40.0, 90, "否", 62.5, 90, "否")
    assert rows["收入保有率"] == ("%", 61.9, None, None, 42.1, 40, "是")
    assert rows["开通及时率"][2:4] == (None, None)
    assert "满意度40.0%90.0%62.5%90.0%" in "".join(pages_text(report_pdf(data)))


def test_a_desk_user_gets_no_report(world):
    from telekam.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        report_data(user=UserFactory(desk=True), month=OCT, today=TODAY)


# --- the stored report and its job ------------------------------------------------------------


def test_store_writes_both_files_and_notifies_the_heads_once(world, var_dir):
    second_head = UserFactory(head=True)
    UserFactory(head=True, is_active=False)
    paths = report_store(month=OCT, today=TODAY)
    folder = var_dir / "reports"
    assert paths == [folder / "management-2026-10.pdf", folder / "management-2026-10.xlsx"]
    assert paths[0].read_bytes().startswith(b"%PDF-")
    assert kpi_rows(workbook(paths[1].read_bytes()))["收入保有率"][1] == 61.9
    notes = Notification.objects.order_by("user_id")
    assert [(n.user_id, n.key, n.url) for n in notes] == [
        (world.head.pk, "management-report:2026-10", "/dashboard/reports/management-2026-10.pdf"),
        (second_head.pk, "management-report:2026-10", "/dashboard/reports/management-2026-10.pdf"),
    ]
    assert notes[0].title == "大客户经营月报 2026年10月已生成"

    paths[0].write_bytes(b"stale")
    assert report_store(month=OCT, today=TODAY) == paths
    assert paths[0].read_bytes().startswith(b"%PDF-")  # overwritten
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in paths]  # no leftovers
    assert Notification.objects.count() == 2


def test_store_falls_back_to_an_analyst(world, var_dir):
    User.objects.filter(role=Role.DEPARTMENT_HEAD).update(is_active=False)
    UserFactory(analyst=True)
    paths = report_store(month=OCT, today=TODAY)
    assert kpi_rows(workbook(paths[1].read_bytes()))["收入保有率"][1] == 61.9
    assert not Notification.objects.exists()  # no active head to tell


def test_store_without_anyone_to_build_for_skips(db, var_dir, caplog):
    UserFactory()
    with caplog.at_level(logging.WARNING, logger="telekam.dashboards.report"):
        assert report_store(month=OCT, today=TODAY) == []
    assert "skipped" in caplog.text
    assert not (var_dir / "reports").exists()


def test_monthly_job_reports_the_month_before(world, var_dir):
    runs_at = management_report_task.task_class().validate_datetime
    assert runs_at(dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC))  # huey's clock is UTC
    assert not runs_at(dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC))
    assert not runs_at(dt.datetime(2026, 11, 2, 6, 31, tzinfo=dt.UTC))
    with clock.frozen(aware(dt.date(2026, 11, 2), 6, 30)):
        written = management_report_task.call_local()
    assert [p.rsplit("/", 1)[-1] for p in written] == [
        "management-2026-10.pdf",
        "management-2026-10.xlsx",
    ]
    assert Notification.objects.filter(user=world.head, key="management-report:2026-10").exists()


def test_command(world, var_dir):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    with clock.frozen(aware(TODAY)):
        call_command("management_report", "--month", "2026-09", stdout=out)
        with pytest.raises(CommandError):
            call_command("management_report", "--month", "2026/09")
    assert out.getvalue().split() == [
        str(var_dir / "reports" / "management-2026-09.pdf"),
        str(var_dir / "reports" / "management-2026-09.xlsx"),
    ]


# --- the views --------------------------------------------------------------------------------


def get(user, url: str, **params):
    with clock.frozen(aware(TODAY)):
        return login(user).get(url, params)


def test_head_downloads_pdf_and_xlsx(world):
    url = reverse("dashboards:report")
    pdf = get(world.head, url, month="2026-10", format="pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == PDF
    assert pdf["Content-Disposition"] == 'attachment; filename="management-2026-10.pdf"'
    assert pages_text(pdf.content)[0].startswith("TeleKAM大客户经营月报2026年10月")
    xlsx = get(world.head, url, month="2026-10", format="xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == XLSX
    assert kpi_rows(workbook(xlsx.content))["收入保有率"][4] == 42.1
    # without a month: the latest billed one; without a format: the PDF
    default = get(world.head, url)
    assert default["Content-Disposition"] == 'attachment; filename="management-2026-10.pdf"'


def test_am_gets_its_own_scope(world):
    response = get(world.am1, reverse("dashboards:report"), month="2026-10", format="xlsx")
    assert response.status_code == 200
    name = f"management-2026-10-am-{world.am1.pk}.xlsx"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    book = workbook(response.content)
    assert book["指标"]["B2"].value == str(world.am1)
    assert kpi_rows(book)["收入保有率"][1] == 86.7
    assert "行业组" not in book.sheetnames


@pytest.mark.parametrize("trait", ["desk", "ops"])
def test_desk_and_operations_are_refused(world, trait):
    response = get(UserFactory(**{trait: True}), reverse("dashboards:report"), format="pdf")
    assert response.status_code == 403


def test_anonymous_is_sent_to_sign_in(world):
    response = Client().get(reverse("dashboards:report"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "账期格式为 2026-10"),
        ({"month": "october"}, "账期格式为 2026-10"),
        ({"month": "2026-12"}, "不能晚于本月"),
        ({"month": "2026-10", "format": "docx"}, "pdf 或 xlsx"),
    ],
)
def test_bad_month_or_format_is_a_400(world, params, message):
    response = get(world.head, reverse("dashboards:report"), **params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_stored_report_for_the_department_only(world, var_dir):
    report_store(month=OCT, today=TODAY)
    url = reverse("dashboards:stored_report", args=["management-2026-10.xlsx"])
    response = get(world.head, url)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    body = b"".join(response.streaming_content)
    assert body == (var_dir / "reports" / "management-2026-10.xlsx").read_bytes()
    analyst = get(UserFactory(analyst=True), url)
    assert analyst.status_code == 200
    # read to the end (the client closes it then); `close()` by hand would send
    # request_finished, which closes the database connection of the test's transaction
    assert b"".join(analyst.streaming_content) == body
    for user in (world.am1, world.lead, UserFactory(desk=True)):
        assert get(user, url).status_code == 403
    missing = reverse("dashboards:stored_report", args=["management-2026-09.pdf"])
    assert get(world.head, missing).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "../management-2026-10.pdf",
        "..",
        "management-2026-10.pdf.tmp",
        "management-26-10.pdf",
        "telekam.sqlite3",
        "/etc/passwd",
    ],
)
def test_stored_rejects_other_names(world, var_dir, name):
    report_store(month=OCT, today=TODAY)
    (var_dir / "telekam.sqlite3").write_bytes(b"secret")
    request = RequestFactory().get("/")
    request.user = world.head
    with pytest.raises(Http404):
        report_views.stored(request, name)
    request.user = world.am1
    with pytest.raises(DjangoPermissionDenied):
        report_views.stored(request, name)


def test_stored_path_traversal_through_the_url(world, var_dir):
    report_store(month=OCT, today=TODAY)
    url = reverse("dashboards:stored_report", args=["x"]).rsplit("/", 1)[0]
    for tail in ("..%2Ftelekam.sqlite3", "..%2F..%2Fetc%2Fpasswd", "%2E%2E"):
        assert get(world.head, f"{url}/{tail}").status_code == 404
