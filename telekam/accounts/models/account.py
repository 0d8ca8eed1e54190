from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import EmailValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.core.models import VersionedModel
from telekam.core.validators import validate_mainland_phone, validate_uscc


class Segment(models.TextChoices):
    KEY = "key", _("大客户")
    COMMERCIAL = "commercial", _("商业客户")
    PUBLIC = "public", _("公众客户")
    TRANSIENT = "transient", _("流动客户")


class Industry(models.TextChoices):
    GOVERNMENT = "government", _("党政军")
    FINANCE = "finance", _("金融")
    MANUFACTURING = "manufacturing", _("制造")
    MINING = "mining", _("采矿与能源")
    REAL_ESTATE = "real_estate", _("房地产与物业")
    IT = "it", _("信息与高科技")
    MULTINATIONAL = "multinational", _("跨国企业")
    TRANSPORT = "transport", _("交通物流")
    EDUCATION = "education", _("教育")
    HEALTHCARE = "healthcare", _("医疗卫生")
    RETAIL = "retail", _("商贸零售")
    MEDIA = "media", _("传媒")
    HOSPITALITY = "hospitality", _("酒店餐饮")
    OTHER = "other", _("其他")


class AccountLevel(models.TextChoices):
    """Where the account stands in a group customer's hierarchy."""

    STANDALONE = "standalone", _("独立客户")
    HEADQUARTERS = "hq", _("集团总部")
    PROVINCIAL = "provincial", _("省级公司")
    BRANCH = "branch", _("分支机构")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("在网")
    SUSPENDED = "suspended", _("暂停")
    CHURNED = "churned", _("已流失")


class Account(VersionedModel):
    """A customer of the key-account department: the account file (客户档案)."""

    code = models.CharField(_("客户编码"), max_length=20, unique=True)
    name = models.CharField(_("客户名称"), max_length=200, db_index=True)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_uscc],
    )
    segment = models.CharField(_("客户类别"), max_length=16, choices=Segment.choices)
    grade = models.ForeignKey(
        "accounts.GradeBand",
        verbose_name=_("客户等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    star_level = models.PositiveSmallIntegerField(
        _("服务星级"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text=_("1–5 星（1A–5A 星级服务）；0 表示无星级"),
    )
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices)
    group = models.ForeignKey(
        "org.IndustryGroup",
        verbose_name=_("服务行业组"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The top of the hierarchy this account belongs to (itself when it has no parent):
    # lets the tree and its roll-up be read in one query.
    root = models.ForeignKey(
        "self",
        verbose_name=_("集团"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    level = models.CharField(
        _("层级"), max_length=16, choices=AccountLevel.choices, default=AccountLevel.STANDALONE
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    province = models.CharField(_("省份"), max_length=20, blank=True)
    city = models.CharField(_("城市"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(
        _("总机电话"), max_length=24, blank=True, validators=[validate_mainland_phone]
    )
    email = models.CharField(
        _("电子邮箱"), max_length=120, blank=True, validators=[EmailValidator()]
    )
    website = models.CharField(_("网站"), max_length=200, blank=True)
    employees = models.PositiveIntegerField(_("员工人数"), null=True, blank=True)
    annual_revenue_wan = models.DecimalField(
        _("年营业收入（万元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Confidential: contract prices and strategy are hidden from service desk and operations.
    discount_pct = models.DecimalField(
        _("综合折扣（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("90"))],
        help_text=_("合同综合优惠幅度，0 表示按目录价"),
    )
    strategy_notes = models.TextField(_("客户策略"), blank=True)
    financial_notes = models.TextField(_("财务信息"), blank=True)
    # Maintained by the billing import (billing.services): average monthly spend of the
    # last 12 billed months and the month it was computed up to. Kept here so lists can sort
    # and filter by spend without aggregating the billing lines.
    avg_monthly_spend = models.DecimalField(
        _("月均消费（元）"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    spend_through = models.DateField(_("消费统计截至"), null=True, blank=True)
    key_list_year = models.PositiveSmallIntegerField(
        _("大客户名单年度"), null=True, blank=True, help_text=_("所在的已审批大客户名单年度")
    )

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name"),
            models.Index(fields=["group", "name"], name="account_group_name"),
            models.Index(fields=["segment", "grade"], name="account_segment_grade"),
            models.Index(fields=["-avg_monthly_spend"], name="account_spend"),
            models.Index(fields=["root"], name="account_root"),
        ]
        constraints = [
            models.CheckConstraint(
                name="account_star_0_5", condition=models.Q(star_level__gte=0, star_level__lte=5)
            ),
            models.CheckConstraint(
                name="account_not_own_parent", condition=~models.Q(parent=models.F("id"))
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    NATIONAL = "national", _("全国客户经理")
    PROVINCIAL = "provincial", _("省级客户经理")
    BRANCH = "branch", _("分公司客户经理")
    SUPPORT = "support", _("支撑人员")


class VirtualTeamMember(models.Model):
    """A member of a group customer's virtual team (虚拟团队) besides the responsible AM."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="team"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成员"),
        on_delete=models.CASCADE,
        related_name="team_memberships",
    )
    role = models.CharField(_("团队角色"), max_length=16, choices=TeamRole.choices)

    class Meta:
        verbose_name = _("虚拟团队成员")
        verbose_name_plural = _("虚拟团队成员")
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="team_member_once")]

    def __str__(self) -> str:
        return f"{self.account} · {self.user} ({self.get_role_display()})"
