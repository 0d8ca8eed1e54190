"""What the account file holds besides the account itself: contacts, sites, events,
competitors and the services the customer uses."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import EmailValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models.account import Account
from telekam.core import clock
from telekam.core.models import VersionedModel
from telekam.core.validators import validate_mainland_phone, validate_mobile


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("决策者")
    INFLUENCER = "influencer", _("影响者")
    TECHNICAL = "technical", _("技术联系人")
    FINANCE = "finance", _("财务联系人")
    USER = "user", _("使用者")


class ContactLayer(models.TextChoices):
    """The layer of the contact map: which level of the customer the contact sits at."""

    HEADQUARTERS = "hq", _("总部")
    PROVINCIAL = "provincial", _("省级")
    BRANCH = "branch", _("分支")
    SITE = "site", _("现场/网点")


class SiteKind(models.TextChoices):
    HEADQUARTERS = "hq", _("总部")
    OFFICE = "office", _("办公点")
    BRANCH = "branch", _("分支机构/网点")
    DATACENTER = "datacenter", _("机房/数据中心")
    PLANT = "plant", _("厂区")


class Site(models.Model):
    """A place of the customer's organisation where services end (A/Z ends)."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=SiteKind.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    city = models.CharField(_("城市"), max_length=20, blank=True)
    telecom_office = models.CharField(
        _("属地分局"), max_length=60, blank=True, help_text=_("就近服务该站点的电信分局/营业部")
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("站点")
        verbose_name_plural = _("站点")
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return self.name


class Contact(VersionedModel):
    """A person at the customer, placed on the layered contact map."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=60)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    department = models.CharField(_("部门"), max_length=60, blank=True)
    decision_role = models.CharField(_("决策角色"), max_length=16, choices=DecisionRole.choices)
    layer = models.CharField(
        _("层级"), max_length=16, choices=ContactLayer.choices, default=ContactLayer.HEADQUARTERS
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("所在站点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("上级联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    mobile = models.CharField(_("手机"), max_length=20, blank=True, validators=[validate_mobile])
    phone = models.CharField(
        _("办公电话"), max_length=24, blank=True, validators=[validate_mainland_phone]
    )
    email = models.CharField(
        _("电子邮箱"), max_length=120, blank=True, validators=[EmailValidator()]
    )
    is_primary = models.BooleanField(_("首要联系人"), default=False)
    # The other side of the contact map: who at the operator answers this contact's call
    # (e.g. the bank branch's IT officer <-> the nearby telecom branch office).
    our_counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("我方对接人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counterpart_of",
    )
    counterpart_note = models.CharField(
        _("我方对接单位/电话"),
        max_length=120,
        blank=True,
        help_text=_("如：朝阳分局 值班电话 010-6501xxxx"),
    )
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["account", "-is_primary", "name"]
        indexes = [models.Index(fields=["mobile"], name="contact_mobile")]

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    RELOCATION = "relocation", _("搬迁")
    MERGER = "merger", _("合并重组")
    NEW_BRANCH = "new_branch", _("新设分支")
    LEADERSHIP = "leadership", _("领导层变动")
    TENDER = "tender", _("招标")
    OTHER = "other", _("其他")


class MajorEvent(models.Model):
    """重大事项: something that happens to the customer and may move its business."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=EventKind.choices)
    occurred_on = models.DateField(_("日期"))
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("重大事项")
        verbose_name_plural = _("重大事项")
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Competitor(models.TextChoices):
    CHINA_UNICOM = "china_unicom", _("中国联通")
    CHINA_MOBILE = "china_mobile", _("中国移动")
    CHINA_BROADNET = "china_broadnet", _("中国广电")
    OTHER = "other", _("其他")


class CompetitorInfo(models.Model):
    """Which competitor supplies what to the customer, at what price, until when."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="competitors"
    )
    competitor = models.CharField(_("竞争对手"), max_length=20, choices=Competitor.choices)
    other_name = models.CharField(_("其他运营商名称"), max_length=60, blank=True)
    services = models.CharField(_("提供的业务"), max_length=200)
    monthly_price = models.DecimalField(
        _("月费用（元）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    contract_end = models.DateField(_("合同到期"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("竞争对手信息")
        verbose_name_plural = _("竞争对手信息")
        ordering = ["account", "contract_end"]

    def __str__(self) -> str:
        return f"{self.get_competitor_display()}: {self.services}"


class SlaLevel(models.TextChoices):
    """The three SLA quality levels (availability and repair-time commitments)."""

    GOLD = "gold", _("金牌")
    SILVER = "silver", _("银牌")
    BRONZE = "bronze", _("铜牌")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    SUSPENDED = "suspended", _("暂停")
    CANCELLED = "cancelled", _("已拆机")


class ServiceInUse(VersionedModel):
    """A circuit, line or package the customer has: what call records are matched on."""

    account = models.ForeignKey(
        Account, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="services"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(
        _("电路/线路号"), max_length=40, help_text=_("电路编号、专线号或电话号码；在用号码全局唯一")
    )
    bandwidth_mbps = models.DecimalField(
        _("带宽（Mbps）"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    a_end = models.CharField(_("A 端"), max_length=120, blank=True)
    z_end = models.CharField(_("Z 端"), max_length=120, blank=True)
    site = models.ForeignKey(
        Site,
        verbose_name=_("站点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    activated_on = models.DateField(_("开通日期"))
    monthly_fee = models.DecimalField(
        _("月租（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    sla_level = models.CharField(
        _("SLA 等级"), max_length=8, choices=SlaLevel.choices, default=SlaLevel.BRONZE
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    cancelled_on = models.DateField(_("拆机日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("在用业务")
        verbose_name_plural = _("在用业务")
        ordering = ["account", "product", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=~models.Q(status="cancelled"),
                name="service_number_unique_while_in_use",
                violation_error_message=_("该电路/线路号已被在用业务占用。"),
            ),
            models.CheckConstraint(
                name="service_cancelled_has_date",
                condition=~models.Q(status="cancelled") | models.Q(cancelled_on__isnull=False),
                violation_error_message=_("已拆机的业务须填写拆机日期。"),
            ),
        ]
        indexes = [models.Index(fields=["number"], name="service_number")]

    def __str__(self) -> str:
        return self.number
