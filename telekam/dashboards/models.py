"""The KPI targets the department sets (issue 7 point 6): per KPI, year or month, and
for the department, an industry group or an AM."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core.models import VersionedModel
from telekam.dashboards.kpis import KPI_INFO


class TargetLevel(models.TextChoices):
    DEPARTMENT = "department", _("全部门")
    GROUP = "group", _("行业组")
    OWNER = "owner", _("客户经理")


KPI_CHOICES = [(k.value, info.label) for k, info in KPI_INFO.items()]


class KpiTarget(VersionedModel):
    """A KPI's target: a percentage for a rate, a count or an amount in yuan otherwise.
    `month` 0 is the whole year; a rate's year target also stands for each month that has
    none of its own (see `telekam.dashboards.targets`)."""

    kpi = models.CharField(_("指标"), max_length=24, choices=KPI_CHOICES)
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份（0 为全年）"), default=0)
    level = models.CharField(_("层级"), max_length=12, choices=TargetLevel.choices)
    group = models.ForeignKey(
        "org.IndustryGroup",
        verbose_name=_("行业组"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["-year", "month", "kpi", "level"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__gte=0) & models.Q(month__lte=12),
                name="kpi_target_month",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(level="department", group__isnull=True, owner__isnull=True)
                    | models.Q(level="group", group__isnull=False, owner__isnull=True)
                    | models.Q(level="owner", group__isnull=True, owner__isnull=False)
                ),
                name="kpi_target_level",
            ),
            models.UniqueConstraint(
                fields=["kpi", "year", "month"],
                condition=models.Q(level="department"),
                name="kpi_target_department_once",
            ),
            models.UniqueConstraint(
                fields=["kpi", "year", "month", "group"],
                condition=models.Q(level="group"),
                name="kpi_target_group_once",
            ),
            models.UniqueConstraint(
                fields=["kpi", "year", "month", "owner"],
                condition=models.Q(level="owner"),
                name="kpi_target_owner_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.year}-{self.month:02d} {self.level}"
