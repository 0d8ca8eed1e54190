"""Satisfaction surveys: the file import (all or nothing, replace on re-import), who may
import, the page and the command."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Sequence

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.core.errors import PermissionDenied
from telekam.core.models import AuditAction, AuditEntry
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group
from telekam.service import access
from telekam.service.models import SurveyImport, SurveyResponse
from telekam.service.services import survey_import, survey_template_csv
from telekam.service.surveys_import import SurveyImportInvalid
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 15)
HEADER = ("客户编码", "调查名称", "调查日期", "评价", "受访人", "意见")
SURVEY = "2026年度满意度调查"
URL = "/service/surveys/"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.frozen(aware(TODAY, 10)):
        yield


def csv_bytes(
    rows: Iterable[Sequence[object]], *, header: Sequence[str] = HEADER, encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[Sequence[object]], *, header: Sequence[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stored() -> set[tuple[str, str, str, str, str, str]]:
    """Every response: (account code, survey, date, rating, respondent, comment)."""
    return {
        (code, survey, day.isoformat(), rating, respondent, comment)
        for code, survey, day, rating, respondent, comment in SurveyResponse.objects.values_list(
            "account__code", "survey", "surveyed_on", "rating", "respondent", "comment"
        )
    }


def state():
    """Everything an import may change, to compare before/after a refused import."""
    return (
        stored(),
        SurveyResponse.objects.count(),
        SurveyImport.objects.count(),
        AuditEntry.objects.count(),
    )


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def upload(client: Client, content: bytes, name: str = "survey.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content)})


@pytest.fixture
def desk():
    return UserFactory(desk=True, username="desk")


@pytest.fixture
def accounts():
    return [AccountFactory(code=f"KA{n}") for n in (1, 2, 3)]


GOOD = [
    ["KA1", SURVEY, "2026-03-05", "满意", "张经理", "网络稳定"],
    ["KA2", SURVEY, "2026/3/6", "非常不满意", "", "故障处理慢"],
    ["KA3", SURVEY, "2026年3月7日", "一般", "李总", ""],
]


# --- the import ---------------------------------------------------------------------------


def test_good_csv_imports_every_row_and_audits(desk, accounts):
    content = csv_bytes(GOOD)
    result = survey_import(actor=desk, file_name="C:\\调查\\2026.csv", content=content)

    assert stored() == {
        ("KA1", SURVEY, "2026-03-05", "satisfied", "张经理", "网络稳定"),
        ("KA2", SURVEY, "2026-03-06", "dissatisfied", "", "故障处理慢"),
        ("KA3", SURVEY, "2026-03-07", "neutral", "李总", ""),
    }
    result.refresh_from_db()
    assert result.file_name == "2026.csv"
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.imported_by == desk
    assert result.imported_at == aware(TODAY, 10)
    assert (result.row_count, result.replaced) == (3, 0)
    assert set(SurveyResponse.objects.values_list("survey_import_id", flat=True)) == {result.pk}

    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.IMPORT
    assert entry.account is None
    assert (entry.target_type, entry.target_id) == ("service.surveyimport", str(result.pk))
    assert entry.summary == f"导入满意度调查 2026.csv：3 条结果（{SURVEY}），替换已有结果 0 条"
    assert entry.changes == {
        "row_count": 3,
        "replaced": 0,
        "surveys": [SURVEY],
        "sha256": result.sha256,
    }


def test_dissatisfied_answer_opens_nothing(desk, accounts):
    from telekam.service.models import FollowUp

    survey_import(actor=desk, file_name="s.csv", content=csv_bytes(GOOD))
    assert FollowUp.objects.count() == 0


def test_good_xlsx_with_english_headers_and_excel_dates(accounts):
    analyst = UserFactory(analyst=True)
    content = xlsx_bytes(
        [
            ["KA1", "2025 survey", dt.date(2025, 6, 30), "Satisfied", "Ms Li", None],
            [None, None, None, None, None, None],  # Excel's blank rows are skipped
            ["KA2", "2025 survey", 45839, "dissatisfied", None, "slow repair"],  # 2025-07-01
            ["KA3", "2025 survey", "2025-07-02", "neutral", 12345.0, None],
        ],
        header=("Account Code", "Survey", "Surveyed_On", "Rating", "Respondent", "Comment"),
    )
    result = survey_import(actor=analyst, file_name="vendor.xlsx", content=content)

    assert stored() == {
        ("KA1", "2025 survey", "2025-06-30", "satisfied", "Ms Li", ""),
        ("KA2", "2025 survey", "2025-07-01", "dissatisfied", "", "slow repair"),
        ("KA3", "2025 survey", "2025-07-02", "neutral", "12345", ""),
    }
    assert (result.row_count, result.replaced) == (3, 0)


def test_gbk_csv_without_optional_columns(desk, accounts):
    content = csv_bytes(
        [["KA1", SURVEY, "2026-10-08", "不满意"], ["KA2", SURVEY, "2026-10-09", "满意"]],
        header=("客户编码", "调查名称", "调查日期", "评价"),
        encoding="gbk",
    )
    survey_import(actor=desk, file_name="gbk.csv", content=content)
    assert stored() == {
        ("KA1", SURVEY, "2026-10-08", "dissatisfied", "", ""),
        ("KA2", SURVEY, "2026-10-09", "satisfied", "", ""),
    }


def test_three_bad_rows_are_all_reported_and_nothing_changes(desk, accounts):
    survey_import(
        actor=desk,
        file_name="old.csv",
        content=csv_bytes([["KA1", SURVEY, "2026-03-01", "一般", "", ""]]),
    )
    before = state()
    content = csv_bytes(
        [
            ["KA1", SURVEY, "2026-03-05", "满意", "", ""],  # good, but the file is refused
            ["KA404", SURVEY, "2026-03-05", "满意", "", ""],
            ["KA2", SURVEY, "2026-02-30", "满意", "", ""],
            ["KA3", SURVEY, "2026-03-05", "还行", "", ""],
        ]
    )
    with pytest.raises(SurveyImportInvalid) as info:
        survey_import(actor=desk, file_name="bad.csv", content=content)

    assert info.value.message == "调查文件有 3 处错误，未导入任何数据。"
    assert info.value.status == 422
    assert [(e["line"], e["column"], e["value"], e["code"]) for e in info.value.details] == [
        (3, "客户编码", "KA404", "unknown_account"),
        (4, "调查日期", "2026-02-30", "bad_date"),
        (5, "评价", "还行", "bad_rating"),
    ]
    assert [e["message"] for e in info.value.details] == [
        "客户编码“KA404”不存在。",
        "调查日期格式不正确，应为 YYYY-MM-DD 或 YYYY/MM/DD（例如 2026-03-05）。",
        "评价应为“满意”“一般”或“不满意”（也可写“非常满意”“非常不满意”）。",
    ]
    assert state() == before


def test_future_date_duplicate_and_missing_value_are_reported(desk, accounts):
    content = csv_bytes(
        [
            ["KA1", SURVEY, "2026-11-16", "满意", "", ""],
            ["KA2", SURVEY, "2026-11-15", "满意", "", ""],
            ["KA2", SURVEY, "2026-11-14", "一般", "", ""],
            ["KA404", "", "2026-11-01", "", "", "x" * 501],
        ]
    )
    with pytest.raises(SurveyImportInvalid) as info:
        survey_import(actor=desk, file_name="bad.csv", content=content)
    assert [(e["line"], e["column"], e["code"]) for e in info.value.details] == [
        (2, "调查日期", "future_date"),
        (4, "客户编码", "duplicate_row"),
        (5, "客户编码", "unknown_account"),
        (5, "调查名称", "missing_value"),
        (5, "评价", "missing_value"),
        (5, "意见", "too_long"),
    ]
    messages = [e["message"] for e in info.value.details]
    assert messages[0] == "调查日期 2026-11-16 晚于今天（2026-11-15）。"
    assert messages[1] == (
        f"客户“KA2”在“{SURVEY}”中已有一行（第 3 行），同一客户在同一调查中只能有一条结果。"
    )
    assert state() == (set(), 0, 0, 0)


def test_missing_column_is_reported(desk, accounts):
    content = csv_bytes([["KA1", SURVEY, "满意"]], header=("客户编码", "调查名称", "评价"))
    with pytest.raises(SurveyImportInvalid) as info:
        survey_import(actor=desk, file_name="bad.csv", content=content)
    assert info.value.details == [
        {
            "line": 1,
            "column": "调查日期",
            "value": "",
            "message": "缺少必填列“调查日期”（也可写作 surveyed_on）。",
            "code": "missing_column",
        }
    ]
    assert state() == (set(), 0, 0, 0)


def test_reimport_replaces_the_same_account_and_survey(desk, accounts):
    first = survey_import(actor=desk, file_name="v1.csv", content=csv_bytes(GOOD))
    corrected = [
        ["KA2", SURVEY, "2026-03-06", "一般", "王工", "已解决"],  # corrected
        ["KA1", "2025年度满意度调查", "2025-03-01", "满意", "", ""],  # another survey: added
    ]
    second = survey_import(actor=desk, file_name="v2.csv", content=csv_bytes(corrected))

    assert (second.row_count, second.replaced) == (2, 1)
    assert stored() == {
        ("KA1", SURVEY, "2026-03-05", "satisfied", "张经理", "网络稳定"),
        ("KA2", SURVEY, "2026-03-06", "neutral", "王工", "已解决"),
        ("KA3", SURVEY, "2026-03-07", "neutral", "李总", ""),
        ("KA1", "2025年度满意度调查", "2025-03-01", "satisfied", "", ""),
    }
    assert SurveyResponse.objects.filter(survey_import=first).count() == 2
    # the same file again: replaces its own rows, never duplicates
    third = survey_import(actor=desk, file_name="v2.csv", content=csv_bytes(corrected))
    assert (third.row_count, third.replaced) == (2, 2)
    assert SurveyResponse.objects.count() == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的。"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "无法读取文件"),
        (b"PK\x03\x04 not really a workbook", "无法读取 Excel 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "不支持旧版 Excel"),
        (csv_bytes([], header=("客户编码", "调查名称", "调查日期", "评价")), "没有调查结果数据"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(desk, accounts, content, message):
    with pytest.raises(SurveyImportInvalid) as info:
        survey_import(actor=desk, file_name="x.csv", content=content)
    assert message in info.value.details[0]["message"]
    assert state() == (set(), 0, 0, 0)


def test_template_is_refused_unchanged_because_its_account_does_not_exist(desk, accounts):
    content = survey_template_csv()
    assert content.startswith("\ufeff客户编码,调查名称,调查日期,评价,受访人,意见\r\n".encode())
    with pytest.raises(SurveyImportInvalid) as info:
        survey_import(actor=desk, file_name="survey-template.csv", content=content)
    assert [e["code"] for e in info.value.details] == ["unknown_account"]


# --- who may import -----------------------------------------------------------------------


@pytest.mark.parametrize("trait", ["desk", "head", "analyst", "admin"])
def test_who_may_import(trait):
    assert access.can_import_surveys(UserFactory(**{trait: True})) is True


@pytest.mark.parametrize("trait", [None, "lead", "ops", "presales"])
def test_others_are_refused_by_the_service(accounts, trait):
    user = UserFactory(**({trait: True} if trait else {}))
    assert access.can_import_surveys(user) is False
    with pytest.raises(PermissionDenied):
        survey_import(actor=user, file_name="s.csv", content=csv_bytes(GOOD))
    assert state() == (set(), 0, 0, 0)


@pytest.mark.parametrize("trait", [None, "lead", "ops"])
def test_others_get_403_on_upload_and_template(accounts, trait):
    client = login(UserFactory(**({trait: True} if trait else {})))
    assert upload(client, csv_bytes(GOOD)).status_code == 403
    assert client.get(URL, {"template": "1"}).status_code == 403
    assert state() == (set(), 0, 0, 0)


def test_inactive_user_may_not_import(accounts):
    user = UserFactory(desk=True, is_active=False)
    assert access.can_import_surveys(user) is False


# --- the page -----------------------------------------------------------------------------


def test_desk_uploads_and_sees_the_result(desk, accounts):
    client = login(desk)
    response = upload(client, csv_bytes(GOOD))
    assert response.status_code == 302
    assert response["Location"] == reverse("service:surveys")

    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "已导入 survey.csv：3 条调查结果，替换已有结果 0 条。" in html
    assert 'data-testid="survey-upload"' in html
    assert 'data-testid="survey-imports"' in html
    assert [r.account.code for r in page.context["responses"]] == ["KA3", "KA2", "KA1"]
    assert f'href="{reverse("accounts:detail", args=[accounts[0].pk])}"' in html
    assert page.context["surveys"] == [SURVEY]


def test_upload_with_bad_rows_shows_each_and_imports_nothing(desk, accounts):
    content = csv_bytes(
        [
            ["KA404", SURVEY, "2026-03-05", "满意", "", ""],
            ["KA2", SURVEY, "tomorrow", "满意", "", ""],
            ["KA3", SURVEY, "2026-03-05", "good", "", ""],
        ]
    )
    response = upload(login(desk), content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "调查文件有 3 处错误，未导入任何数据。" in html
    assert 'data-testid="import-errors"' in html
    assert [e["line"] for e in response.context["row_errors"]] == [2, 3, 4]
    for line in (2, 3, 4):
        assert f'data-line="{line}"' in html
    assert state() == (set(), 0, 0, 0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "上传的文件是空的，请选择调查结果文件。"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "无法读取文件"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "无法读取 Excel 文件"),
    ],
)
def test_bad_upload_is_a_form_error_not_a_500(desk, accounts, name, content, message):
    response = upload(login(desk), content, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state() == (set(), 0, 0, 0)


def test_upload_without_a_file_is_a_form_error(desk):
    response = login(desk).post(URL, {})
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["这个字段是必填项。"]}


def test_template_download(desk):
    response = login(desk).get(URL, {"template": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="survey-template.csv"'
    assert response.content == survey_template_csv()


def test_am_sees_only_the_responses_of_its_accounts_read_only(desk):
    am = UserFactory(username="am")
    other = UserFactory(username="am2", group=group("government"))
    AccountFactory(code="MINE", owner=am)
    AccountFactory(code="THEIRS", owner=other)
    survey_import(
        actor=desk,
        file_name="s.csv",
        content=csv_bytes(
            [
                ["MINE", SURVEY, "2026-03-05", "满意", "", ""],
                ["THEIRS", SURVEY, "2026-03-05", "不满意", "", ""],
                ["THEIRS", "只有别组的调查", "2026-03-05", "一般", "", ""],
            ]
        ),
    )
    page = login(am).get(URL)
    assert page.status_code == 200
    assert [r.account.code for r in page.context["responses"]] == ["MINE"]
    assert page.context["surveys"] == [SURVEY]
    html = page.content.decode()
    assert "THEIRS" not in html
    assert 'data-testid="survey-upload"' not in html
    assert 'data-testid="survey-imports"' not in html
    assert 'name="file"' not in html


def test_list_filters_by_survey_and_rating(desk, accounts):
    survey_import(actor=desk, file_name="a.csv", content=csv_bytes(GOOD))
    survey_import(
        actor=desk,
        file_name="b.csv",
        content=csv_bytes([["KA1", "2025年度满意度调查", "2025-03-01", "不满意", "", ""]]),
    )
    client = login(desk)

    def codes(**params):
        response = client.get(URL, params)
        assert response.status_code == 200
        return [(r.account.code, r.survey) for r in response.context["responses"]]

    assert codes(survey=SURVEY, rating="dissatisfied") == [("KA2", SURVEY)]
    assert codes(rating="dissatisfied") == [("KA2", SURVEY), ("KA1", "2025年度满意度调查")]
    assert codes(survey="2025年度满意度调查") == [("KA1", "2025年度满意度调查")]
    assert len(codes(rating="nonsense")) == 4  # an unknown rating filters nothing


def test_list_page_has_a_bounded_number_of_queries(desk, django_assert_max_num_queries):
    am = UserFactory(username="am")
    rows = []
    for n in range(40):
        AccountFactory(code=f"KB{n:03d}", owner=am)
        rows.append([f"KB{n:03d}", SURVEY, "2026-03-05", "满意", "张", ""])
    survey_import(actor=desk, file_name="s.csv", content=csv_bytes(rows))
    for user in (desk, am):
        client = login(user)
        with django_assert_max_num_queries(10):  # 7 today, whatever the row count
            response = client.get(URL, {"page": "2"})
        assert response.status_code == 200
        assert len(response.context["responses"]) == 15


# --- the command --------------------------------------------------------------------------


def test_command_imports_and_prints_the_result(tmp_path, capsys, desk, accounts):
    path = tmp_path / "调查.csv"
    path.write_bytes(csv_bytes(GOOD, encoding="gbk"))
    call_command("import_surveys", str(path), "--user", "desk")
    batch = SurveyImport.objects.get()
    out = capsys.readouterr().out
    assert f"已导入 调查.csv：3 条调查结果，替换已有结果 0 条（导入编号 {batch.pk}）。" in out
    assert batch.imported_by == desk
    assert SurveyResponse.objects.count() == 3


def test_command_reports_each_bad_row_and_exits_1(tmp_path, capsys, desk, accounts):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["KA404", SURVEY, "2026-03-05", "满意", "", ""],
                ["KA2", SURVEY, "2026-03-05", "好", "", ""],
            ]
        )
    )
    with pytest.raises(CommandError) as info:
        call_command("import_surveys", str(path), "--user", "desk")
    assert info.value.returncode == 1
    assert str(info.value) == "调查文件有 2 处错误，未导入任何数据。"
    err = capsys.readouterr().err
    assert "第 2 行［客户编码］“KA404”：客户编码“KA404”不存在。" in err
    assert "第 3 行［评价］“好”：评价应为“满意”“一般”或“不满意”" in err
    assert state() == (set(), 0, 0, 0)


def test_command_as_a_user_without_the_right(tmp_path, accounts):
    UserFactory(username="am1")
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes(GOOD))
    with pytest.raises(CommandError) as info:
        call_command("import_surveys", str(path), "--user", "am1")
    assert info.value.returncode == 1
    assert str(info.value) == "您无权导入满意度调查结果。"
    assert state() == (set(), 0, 0, 0)


def test_command_unknown_user_and_missing_file(tmp_path, desk):
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes(GOOD))
    with pytest.raises(CommandError, match="没有名为 nobody 的有效用户"):
        call_command("import_surveys", str(path), "--user", "nobody")
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_surveys", str(tmp_path / "missing.csv"), "--user", "desk")
    assert SurveyImport.objects.count() == 0
