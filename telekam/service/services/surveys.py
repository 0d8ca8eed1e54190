"""Satisfaction survey import (满意度调查): the vendor's or the desk's result file, all rows
or none."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create, full_clean_or_raise
from telekam.org.models import User
from telekam.service import access
from telekam.service import surveys_import as importer
from telekam.service.models import SurveyImport, SurveyResponse
from telekam.service.surveys_import import (
    RowError,
    SurveyErrorCode,
    SurveyImportInvalid,
    SurveyRow,
    SurveyRowErrorCode,
)

LOOKUP_CHUNK = 900  # account codes / ids per IN list (databases' bound-parameter limits)
INSERT_BATCH = 1000


def survey_template_csv() -> bytes:
    """The survey template users download: the header and one example row."""
    return importer.template_csv()


def _account_ids(codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[i : i + LOOKUP_CHUNK]
        found.update(Account.objects.filter(code__in=chunk).values_list("code", "pk"))
    return found


def _unknown_accounts(
    codes: list[tuple[int, str]], account_ids: dict[str, int], column: str
) -> list[RowError]:
    return [
        RowError(
            line,
            column,
            code,
            _("客户编码“%(code)s”不存在。") % {"code": code},
            SurveyRowErrorCode.UNKNOWN_ACCOUNT,
        )
        for line, code in codes
        if code not in account_ids
    ]


def survey_import(*, actor: User, file_name: str, content: bytes) -> SurveyImport:
    """Import a survey result file (CSV in UTF-8 or GBK, or .xlsx).

    Every row is checked first and every error reported (`SurveyImportInvalid`, nothing
    written): unknown account, bad or future date, unknown rating, the same account twice
    in one survey, a missing column or value. Otherwise one transaction stores the import
    and its responses; an answer already stored for the same account and survey is
    replaced (counted in `replaced`), so re-importing a corrected file never duplicates.

    A dissatisfied answer opens nothing by itself (unlike a dissatisfied callback).
    The file is read and checked outside the transaction.
    """
    if not access.can_import_surveys(actor):
        raise PermissionDenied(_("您无权导入满意度调查结果。"))
    name = os.path.basename(file_name.replace("\\", "/")).strip()[:255] or "survey.csv"
    parsed = importer.parse_survey(file_name=name, content=content, today=clock.today())
    if parsed.fatal:
        raise SurveyImportInvalid([e.as_dict() for e in parsed.errors])
    errors = list(parsed.errors)
    account_ids = _account_ids({code for _line, code in parsed.codes})
    errors.extend(_unknown_accounts(parsed.codes, account_ids, parsed.columns[importer.ACCOUNT]))
    if errors:
        order = {field: i for i, field in enumerate(parsed.columns.values())}
        errors.sort(key=lambda e: (e.line or 0, order.get(e.column, len(order))))
        raise SurveyImportInvalid([e.as_dict() for e in errors])

    try:
        with transaction.atomic():
            return _survey_import_write(
                actor=actor,
                file_name=name,
                content=content,
                row_count=parsed.data_rows,
                rows=parsed.rows,
                account_ids=account_ids,
            )
    except IntegrityError as exc:  # an account was deleted, or another import ran meanwhile
        raise ApplicationError(
            _("导入期间数据发生了变化（可能有人同时导入了同一调查），请重新导入。"),
            code=SurveyErrorCode.IMPORT_CONFLICT,
        ) from exc


def _survey_import_write(
    *,
    actor: User,
    file_name: str,
    content: bytes,
    row_count: int,
    rows: list[SurveyRow],
    account_ids: dict[str, int],
) -> SurveyImport:
    by_survey: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_survey[row.survey].append(account_ids[row.account_code])
    replaced = 0
    for survey, ids in sorted(by_survey.items()):
        ordered = sorted(ids)
        for i in range(0, len(ordered), LOOKUP_CHUNK):
            replaced += SurveyResponse.objects.filter(
                survey=survey, account_id__in=ordered[i : i + LOOKUP_CHUNK]
            ).delete()[0]

    batch = SurveyImport(
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        imported_by=actor,
        imported_at=clock.now(),
        row_count=row_count,
        replaced=replaced,
    )
    full_clean_or_raise(batch)
    batch.save()
    responses = [
        SurveyResponse(
            account_id=account_ids[row.account_code],
            survey=row.survey,
            surveyed_on=row.surveyed_on,
            rating=row.rating,
            respondent=row.respondent,
            comment=row.comment,
            survey_import=batch,
        )
        for row in rows
    ]
    for response in responses:
        # The reader already checked lengths and choices; the foreign keys and the
        # uniqueness are the database's (checking them here would cost a query a row).
        try:
            response.clean_fields(exclude=["account", "survey_import"])
        except ValidationError as exc:  # pragma: no cover - the reader refuses such rows
            raise ApplicationError(str(exc), code=SurveyErrorCode.IMPORT_INVALID) from exc
    SurveyResponse.objects.bulk_create(responses, batch_size=INSERT_BATCH)

    surveys = sorted(by_survey)
    audit_entry_create(
        actor=actor,
        action=AuditAction.IMPORT,
        target=batch,
        account=None,
        summary=_(
            "导入满意度调查 %(file)s：%(rows)d 条结果（%(surveys)s），替换已有结果 %(replaced)d 条"
        )
        % {
            "file": file_name,
            "rows": len(responses),
            "surveys": "、".join(surveys),
            "replaced": replaced,
        },
        changes={
            "row_count": row_count,
            "replaced": replaced,
            "surveys": surveys,
            "sha256": batch.sha256,
        },
    )
    return batch
