from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from telekam.core import clock


class GroupKind(models.TextChoices):
    INDUSTRY = "industry", _("行业组")
    ANALYSIS = "analysis", _("综合组")
    SUPPORT = "support", _("支撑组")


class IndustryGroup(models.Model):
    """A group of the key-account department (行业组, 综合组, 支撑组)."""

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name_zh = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=GroupKind.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("行业组")
        verbose_name_plural = _("行业组")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("客户经理")
    GROUP_LEAD = "group_lead", _("行业组长")
    DEPARTMENT_HEAD = "department_head", _("部门经理")
    PRESALES = "presales", _("售前支撑")
    SERVICE_DESK = "service_desk", _("客服回访")
    OPERATIONS = "operations", _("运维")
    ANALYST = "analyst", _("经营分析")
    ADMIN = "admin", _("系统管理员")


class User(AbstractUser):
    """A member of the key-account department; `role` and `group` decide what it sees."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    group = models.ForeignKey(
        IndustryGroup,
        verbose_name=_("所属组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    employee_no = models.CharField(_("工号"), max_length=32, blank=True)
    mobile = models.CharField(_("手机"), max_length=20, blank=True)
    hired_on = models.DateField(_("入职日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="user_scoped_roles_have_group",
                condition=~models.Q(role__in=["account_manager", "group_lead"])
                | models.Q(group__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()


class LoginFailure(models.Model):
    """One failed login; enough of them in the window locks the username."""

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    at = models.DateTimeField(_("时间"), default=clock.now)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败")
        verbose_name_plural = _("登录失败")
        indexes = [models.Index(fields=["username", "at"], name="loginfailure_user_at")]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
