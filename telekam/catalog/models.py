from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ProductFamily(models.TextChoices):
    DATA = "data", _("数据专线")
    INTERNET = "internet", _("互联网接入")
    VOICE = "voice", _("语音")
    MOBILE = "mobile", _("移动")
    CLOUD = "cloud", _("云与IDC")


class Product(models.Model):
    """A product of the operator's catalogue; billing lines and services in use name one."""

    code = models.SlugField(_("产品编码"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称"), max_length=80)
    name_en = models.CharField(_("英文名称"), max_length=80)
    family = models.CharField(_("产品族"), max_length=16, choices=ProductFamily.choices)
    has_circuit = models.BooleanField(
        _("有电路/线路号"), default=True, help_text=_("服务实例带电路号或线路号（用于话单匹配）")
    )
    list_monthly_fee = models.DecimalField(
        _("目录月租（元）"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    list_one_time_fee = models.DecimalField(
        _("目录一次性费用（元）"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    is_active = models.BooleanField(_("在售"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                name="product_fees_not_negative",
                condition=models.Q(list_monthly_fee__gte=0) & models.Q(list_one_time_fee__gte=0),
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh
