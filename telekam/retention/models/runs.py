"""Data runs (ingest and signal jobs) with their progress and report; the inputs that do not
come from the lake: cancellation orders and field intelligence."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Competitor
from telekam.core import clock


class RunKind(models.TextChoices):
    INGEST_CALLS = "ingest_calls", _("话单入库")
    CALL_SIGNALS = "call_signals", _("话单信号")
    SPEND_SIGNALS = "spend_signals", _("消费波动信号")
    CANCELLATIONS = "cancellations", _("退租单导入")
    RISK_MODEL = "risk_model", _("流失风险模型")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("运行中")
    DONE = "done", _("完成")
    SKIPPED = "skipped", _("已跳过（重复）")
    FAILED = "failed", _("失败")


class Run(models.Model):
    """One ingest or job run. Progress is written while it runs (so the runs page can show
    it) and the report stays when it ends."""

    kind = models.CharField(_("类型"), max_length=20, choices=RunKind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    source = models.CharField(_("来源"), max_length=255, blank=True)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True, db_index=True)
    engine = models.CharField(_("引擎"), max_length=10, blank=True)
    day_from = models.DateField(_("起始日"), null=True, blank=True)
    day_to = models.DateField(_("截止日"), null=True, blank=True)
    files = models.PositiveIntegerField(_("文件数"), default=0)
    rows_in = models.BigIntegerField(_("读入行数"), default=0)
    rows_ok = models.BigIntegerField(_("有效行数"), default=0)
    rows_bad = models.BigIntegerField(_("隔离行数"), default=0)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    started_at = models.DateTimeField(_("开始时间"), default=clock.now, db_index=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    report = models.JSONField(_("运行报告"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("数据作业")
        verbose_name_plural = _("数据作业")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def rate(self) -> float | None:
        """Rows read per second."""
        secs = self.seconds
        if not secs or not self.rows_in:
            return None
        return self.rows_in / secs


class CancellationOrder(models.Model):
    """A cancellation order (退租单): the customer gives up a line or circuit."""

    number = models.CharField(_("退租单号"), max_length=40, unique=True)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="cancellation_orders",
    )
    line_number = models.CharField(_("电路/线路号"), max_length=40, blank=True)
    product_name = models.CharField(_("产品"), max_length=100, blank=True)
    monthly_fee = models.DecimalField(
        _("月租（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    ordered_on = models.DateField(_("申请日期"))
    reason = models.CharField(_("退租原因"), max_length=200, blank=True)
    run = models.ForeignKey(
        Run, verbose_name=_("导入批次"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("退租单")
        verbose_name_plural = _("退租单")
        ordering = ["-ordered_on", "number"]
        indexes = [models.Index(fields=["account", "ordered_on"], name="cancel_account_day")]

    def __str__(self) -> str:
        return self.number


class FieldReport(models.Model):
    """Field intelligence: what an AM or agent heard ("they are talking to Unicom")."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="field_reports",
    )
    competitor = models.CharField(
        _("竞争对手"), max_length=20, choices=Competitor.choices, blank=True
    )
    heard_on = models.DateField(_("获知日期"))
    text = models.TextField(_("情况"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("一线情报")
        verbose_name_plural = _("一线情报")
        ordering = ["-heard_on", "-id"]

    def __str__(self) -> str:
        return f"{self.account}: {self.text[:30]}"
