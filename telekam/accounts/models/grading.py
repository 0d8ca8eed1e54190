"""Grading from billing data: the grade scheme, the yearly key-account list, proposals."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models.account import Account, Segment
from telekam.core import clock
from telekam.core.models import VersionedModel


class GradeBand(models.Model):
    """One grade of the configurable scheme: a band of average monthly spend in a segment.

    A band covers min_monthly <= spend < max_monthly (no upper bound when max is empty).
    The key-account threshold is the lowest key band's minimum (3,000 RMB by default).
    """

    segment = models.CharField(_("客户类别"), max_length=16, choices=Segment.choices)
    code = models.SlugField(_("编码"), max_length=20)
    name_zh = models.CharField(_("名称"), max_length=20)
    name_en = models.CharField(_("英文名称"), max_length=20)
    min_monthly = models.DecimalField(
        _("月消费下限（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_monthly = models.DecimalField(
        _("月消费上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    star_level = models.PositiveSmallIntegerField(
        _("服务星级"), validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    rank = models.PositiveSmallIntegerField(
        _("价值序位"), help_text=_("跨类别的价值顺序，数值越大价值越高")
    )
    # Higher value earns a bigger discount (domain §1); a quote beyond it is flagged.
    max_discount_pct = models.DecimalField(
        _("等级可享最大折扣（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("等级")
        verbose_name_plural = _("等级方案")
        ordering = ["-rank"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "code"], name="gradeband_code_once"),
            models.UniqueConstraint(fields=["rank"], name="gradeband_rank_once"),
            models.CheckConstraint(
                name="gradeband_bounds_ordered",
                condition=models.Q(max_monthly__isnull=True)
                | models.Q(max_monthly__gt=models.F("min_monthly")),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def contains(self, spend: Decimal) -> bool:
        return spend >= self.min_monthly and (self.max_monthly is None or spend < self.max_monthly)


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审批")


class KeyAccountList(VersionedModel):
    """The key-account list (大客户名单) of one year, fixed at the start of the year."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ListStatus.choices, default=ListStatus.DRAFT
    )
    window_start = models.DateField(_("统计起始月"))
    window_end = models.DateField(_("统计截止月"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("大客户名单")
        verbose_name_plural = _("大客户名单")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"


class KeyAccountListEntry(models.Model):
    """One account's line on the yearly list: what billing proposes and what was decided."""

    key_list = models.ForeignKey(KeyAccountList, on_delete=models.CASCADE, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    avg_monthly_spend = models.DecimalField(_("月均消费（元）"), max_digits=14, decimal_places=2)
    months_billed = models.PositiveSmallIntegerField(_("计费月数"))
    current_segment = models.CharField(_("现类别"), max_length=16, choices=Segment.choices)
    current_grade = models.ForeignKey(
        GradeBand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_segment = models.CharField(_("建议类别"), max_length=16, choices=Segment.choices)
    proposed_grade = models.ForeignKey(
        GradeBand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_segment = models.CharField(_("审定类别"), max_length=16, choices=Segment.choices)
    decided_grade = models.ForeignKey(
        GradeBand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("审定说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        constraints = [
            models.UniqueConstraint(fields=["key_list", "account"], name="list_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.key_list_id}: {self.account_id}"

    @property
    def changes_grade(self) -> bool:
        return (self.current_segment, self.current_grade_id) != (
            self.decided_segment,
            self.decided_grade_id,
        )


class DecisionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class GradeChangeProposal(VersionedModel):
    """A mid-year change of segment or grade, approved by the department head."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="grade_proposals"
    )
    from_segment = models.CharField(_("原类别"), max_length=16, choices=Segment.choices)
    from_grade = models.ForeignKey(
        GradeBand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_segment = models.CharField(_("新类别"), max_length=16, choices=Segment.choices)
    to_grade = models.ForeignKey(
        GradeBand,
        verbose_name=_("新等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("理由"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=clock.now)
    status = models.CharField(
        _("状态"), max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("等级调整申请")
        verbose_name_plural = _("等级调整申请")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="pending"),
                name="one_pending_proposal_per_account",
                violation_error_message=_("该客户已有待审批的等级调整申请。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.from_segment}->{self.to_segment}"
