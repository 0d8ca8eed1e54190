from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core import clock


class VersionedModel(models.Model):
    """A record edited by several people: `version` guards against silent overwrites.

    Every update goes through `telekam.core.services.versioned_update`, which only writes
    when the version the editor read is still current.
    """

    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=clock.now, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    APPROVE = "approve", _("审批")
    IMPORT = "import", _("导入")
    EVENT = "event", _("事件")


class AuditEntry(models.Model):
    """Who changed what and when. On an account, these entries are its timeline."""

    at = models.DateTimeField(_("时间"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=16, choices=AuditAction.choices)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象编号"), max_length=64)
    target_repr = models.CharField(_("对象"), max_length=255)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    summary = models.CharField(_("摘要"), max_length=500)
    changes = models.JSONField(_("变更"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account", "-at"], name="audit_account_at"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.summary}"


class CalendarSource(models.TextChoices):
    LIBRARY = "library", _("节假日库")
    NOTICE = "notice", _("国务院通知（人工录入）")


class CalendarYear(models.Model):
    """A year whose statutory holidays and make-up working days are known.

    A date in a year that is not here is counted on plain weekends and flagged provisional.
    """

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=CalendarSource.choices)
    notice = models.CharField(_("通知文号"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a statutory holiday on a weekday, or a
    weekend day that is a working day by decree (调休)."""

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("工作日"))
    name = models.CharField(_("说明"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["day"]
        constraints = [
            # Only exceptions are stored: a weekday is a working day unless a holiday, a
            # weekend day a rest day unless a make-up working day.
            models.CheckConstraint(
                name="calendarday_is_an_exception",
                condition=(
                    models.Q(is_working_day=False, day__week_day__in=[2, 3, 4, 5, 6])
                    | models.Q(is_working_day=True, day__week_day__in=[1, 7])
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Sequence(models.Model):
    """A named counter for human-readable numbers (request, order and form numbers).

    `telekam.core.services.sequence_next` increments it inside the caller's transaction, so
    two agents opening requests at once never get the same number.
    """

    name = models.CharField(_("名称"), max_length=40, unique=True)
    value = models.PositiveIntegerField(_("当前值"), default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Notification(models.Model):
    """An in-app message to one user (a deadline about to be missed, a follow-up to lead).

    `key` makes writers idempotent: the same warning about the same thing is stored once
    per user however often the job that raises it runs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    key = models.CharField(_("去重键"), max_length=120)
    created_at = models.DateTimeField(_("时间"), default=clock.now)
    title = models.CharField(_("标题"), max_length=200)
    body = models.CharField(_("内容"), max_length=1000, blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once")]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notif_inbox")]

    def __str__(self) -> str:
        return self.title
