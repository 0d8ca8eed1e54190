"""Satisfaction surveys (满意度调查): the results the service desk or an outside vendor
collects once or twice a year, imported from the vendor's spreadsheet. Together with the
callbacks they make up the department's satisfaction figure."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core import clock


class SurveyRating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    NEUTRAL = "neutral", _("一般")
    DISSATISFIED = "dissatisfied", _("不满意")


class SurveyImport(models.Model):
    """One uploaded survey file. Its rows replace the answers already stored for the same
    account and survey (`replaced` counts them), so a corrected file can be imported again."""

    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), default=clock.now)
    row_count = models.PositiveIntegerField(_("行数"))
    replaced = models.PositiveIntegerField(_("替换的已有结果数"), default=0)

    class Meta:
        verbose_name = _("满意度调查导入")
        verbose_name_plural = _("满意度调查导入")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class SurveyResponse(models.Model):
    """One account's answer in one survey (at most one per account and survey)."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    survey = models.CharField(_("调查名称"), max_length=60)
    surveyed_on = models.DateField(_("调查日期"))
    rating = models.CharField(_("评价"), max_length=16, choices=SurveyRating.choices)
    respondent = models.CharField(_("受访人"), max_length=60, blank=True)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    survey_import = models.ForeignKey(
        SurveyImport,
        verbose_name=_("导入批次"),
        on_delete=models.PROTECT,
        related_name="responses",
    )

    class Meta:
        verbose_name = _("满意度调查结果")
        verbose_name_plural = _("满意度调查结果")
        ordering = ["-surveyed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "survey"], name="survey_response_once")
        ]
        indexes = [models.Index(fields=["surveyed_on"], name="survey_response_date")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.survey} {self.rating}"
