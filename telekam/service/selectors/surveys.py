"""Reads of the satisfaction surveys: the responses of the accounts the user sees, and the
recent imports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from telekam.service import access
from telekam.service.models import SurveyImport, SurveyRating, SurveyResponse

RECENT_IMPORTS = 10


def survey_response_list(
    *, user: Any, survey: str = "", rating: str = ""
) -> QuerySet[SurveyResponse]:
    """Responses of the accounts `user` sees, latest survey date first; `survey` (exact
    name) and `rating` narrow them, an empty value or an unknown rating does not."""
    qs = access.visible(SurveyResponse.objects.all(), user).select_related("account")
    if survey:
        qs = qs.filter(survey=survey)
    if rating in SurveyRating.values:
        qs = qs.filter(rating=rating)
    return qs.order_by("-surveyed_on", "account__code", "id")


def survey_names(*, user: Any) -> list[str]:
    """The surveys with a response from an account `user` sees, for the filter."""
    qs = access.visible(SurveyResponse.objects.all(), user)
    return list(qs.order_by("survey").values_list("survey", flat=True).distinct())


def survey_imports_recent(*, limit: int = RECENT_IMPORTS) -> list[SurveyImport]:
    """The latest imports (who imported which file when); shown to those who may import."""
    return list(
        SurveyImport.objects.select_related("imported_by").order_by("-imported_at", "-id")[:limit]
    )
