"""Demo satisfaction surveys: the key accounts' yearly survey (满意度调查) of last year
and this year, as the vendor's files would have brought them in: about seven in ten
accounts answered, most of them satisfied. A random generator of its own, so the other
demo parts draw the same numbers with or without it."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from telekam.accounts.models import Account, AccountStatus, Segment
from telekam.org.models import User
from telekam.service.models import SurveyImport, SurveyRating, SurveyResponse

SALT = 0x5A7E
ANSWERED = 0.7
RATINGS = ((SurveyRating.SATISFIED, 0.76), (SurveyRating.NEUTRAL, 0.17),
           (SurveyRating.DISSATISFIED, 0.07))  # fmt: skip
COMMENTS = {
    SurveyRating.DISSATISFIED: ("故障修复慢", "账单解释不清", "客户经理联系少", "资费偏高"),
    SurveyRating.NEUTRAL: ("", "希望提高带宽", ""),
    SurveyRating.SATISFIED: ("", "", "服务及时"),
}
RESPONDENTS = ("王主任", "李经理", "张工", "刘总", "陈主任", "赵经理")


def delete_surveys() -> None:
    SurveyResponse.objects.all().delete()
    SurveyImport.objects.all().delete()


def generate_surveys(*, seed: int, today: dt.date) -> dict[str, int]:
    """Last year's and this year's survey (mid-November, when that day has come). A year
    already there is left as it is."""
    actor = (
        User.objects.filter(username="desk").first() or User.objects.filter(username="head").first()
    )
    if actor is None:
        return {"survey_responses": SurveyResponse.objects.count()}
    accounts = list(
        Account.objects.filter(segment=Segment.KEY, status=AccountStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = random.Random(seed ^ SALT)
    for year in (today.year - 1, today.year):
        day = dt.date(year, 11, 18)
        survey = f"{year}年度大客户满意度调查"
        if day > today or SurveyImport.objects.filter(file_name=f"{survey}.xlsx").exists():
            continue
        rows = []
        for pk in accounts:
            if rng.random() >= ANSWERED:
                continue
            rating = rng.choices([r for r, _w in RATINGS], [w for _r, w in RATINGS])[0]
            rows.append((pk, rating, rng.choice(RESPONDENTS), rng.choice(COMMENTS[rating])))
        digest = hashlib.sha256(repr((survey, rows)).encode()).hexdigest()
        batch = SurveyImport.objects.create(
            file_name=f"{survey}.xlsx", sha256=digest, imported_by=actor, row_count=len(rows)
        )
        SurveyResponse.objects.bulk_create(
            [
                SurveyResponse(
                    account_id=pk,
                    survey=survey,
                    surveyed_on=day,
                    rating=rating,
                    respondent=who,
                    comment=note,
                    survey_import=batch,
                )
                for pk, rating, who, note in rows
            ],
            batch_size=1000,
        )
    return {"survey_responses": SurveyResponse.objects.count()}
