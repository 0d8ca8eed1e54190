"""The intangible-value sheet: the weighted score by hand, who fills and who reviews,
the steps, bad marks, and no silent overwrite."""

from __future__ import annotations

from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied, ValidationFailed
from telekam.org.tests.factories import UserFactory, group
from telekam.value import services
from telekam.value.models import IntangibleCriterion, IntangibleSheet, SheetStatus

pytestmark = pytest.mark.django_db

# brand 25, satisfaction 25, referrals 15, strategic 15, social 10, guarantee 10 (seeded)
MARKS = {"brand": 5, "satisfaction": 4, "referrals": 3, "strategic": 2, "social": 1, "guarantee": 0}


@pytest.fixture
def w():
    finance = group("finance")
    am = UserFactory(group=finance)
    return {
        "am": am,
        "account": AccountFactory(owner=am),
        "lead": UserFactory(lead=True, group=finance),
        "other_lead": UserFactory(lead=True, group=group("government")),
        "head": UserFactory(head=True),
    }


def fill(w, marks=None, **kw):
    return services.intangible_sheet_save(
        actor=kw.pop("actor", w["am"]), account=w["account"], year=2026, marks=marks or MARKS, **kw
    )


def test_the_score_is_the_weighted_marks_out_of_100(w):
    sheet = fill(w)
    # (25x5 + 25x4 + 15x3 + 15x2 + 10x1 + 10x0) / (5 x 100) x 100
    assert sheet.score == Decimal("62.0")
    assert sheet.weights["brand"] == "25.00"
    IntangibleCriterion.objects.filter(code="brand").update(weight=Decimal("50"))
    sheet = fill(w, expected_version=sheet.version)
    # (50x5 + 100 + 45 + 30 + 10) / (5 x 125) x 100 = 435 / 625 x 100
    assert sheet.score == Decimal("69.6")


@pytest.mark.parametrize(
    "marks",
    [
        {**MARKS, "brand": 6},
        {**MARKS, "brand": -1},
        {**MARKS, "brand": "5"},
        {k: v for k, v in MARKS.items() if k != "social"},
        {**MARKS, "made_up": 3},
    ],
)
def test_bad_marks_are_refused_and_nothing_is_saved(w, marks):
    with pytest.raises(ValidationFailed):
        fill(w, marks=marks)
    assert not IntangibleSheet.objects.exists()


def test_submit_review_return_and_approve(w):
    sheet = fill(w)
    sheet = services.intangible_sheet_submit(
        actor=w["am"], sheet=sheet, expected_version=sheet.version
    )
    assert sheet.status == SheetStatus.SUBMITTED
    with pytest.raises(ApplicationError):
        fill(w, expected_version=sheet.version)  # submitted: no more changes
    with pytest.raises(ValidationFailed):  # sending back needs a reason
        services.intangible_sheet_review(
            actor=w["lead"], sheet=sheet, approve=False, expected_version=sheet.version
        )
    sheet = services.intangible_sheet_review(
        actor=w["lead"],
        sheet=sheet,
        approve=False,
        note="满意度偏高",
        expected_version=sheet.version,
    )
    assert (sheet.status, sheet.review_note) == (SheetStatus.RETURNED, "满意度偏高")
    sheet = fill(w, marks={**MARKS, "satisfaction": 3}, expected_version=sheet.version)
    sheet = services.intangible_sheet_submit(
        actor=w["am"], sheet=sheet, expected_version=sheet.version
    )
    sheet = services.intangible_sheet_review(
        actor=w["lead"], sheet=sheet, approve=True, expected_version=sheet.version
    )
    assert (sheet.status, sheet.reviewed_by, sheet.score) == (
        SheetStatus.APPROVED,
        w["lead"],
        Decimal("57.0"),
    )


def test_who_may_not_fill_or_review(w):
    for outsider in (
        UserFactory(),
        UserFactory(desk=True),
        UserFactory(analyst=True),
        w["other_lead"],
    ):
        with pytest.raises(PermissionDenied):
            fill(w, actor=outsider)
    sheet = fill(w, actor=w["lead"])  # the lead may fill, but then not review its own sheet
    sheet = services.intangible_sheet_submit(
        actor=w["lead"], sheet=sheet, expected_version=sheet.version
    )
    for reviewer in (w["am"], w["lead"], w["other_lead"], UserFactory(analyst=True)):
        with pytest.raises(PermissionDenied):
            services.intangible_sheet_review(
                actor=reviewer, sheet=sheet, approve=True, expected_version=sheet.version
            )
    sheet = services.intangible_sheet_review(
        actor=w["head"], sheet=sheet, approve=True, expected_version=sheet.version
    )
    assert sheet.status == SheetStatus.APPROVED


def test_no_silent_overwrite(w):
    first = fill(w)
    with pytest.raises(Conflict):
        fill(w, actor=w["lead"])  # had not seen the AM's sheet
    with pytest.raises(Conflict):
        fill(w, expected_version=first.version + 1)
    assert IntangibleSheet.objects.get().filled_by == w["am"]
