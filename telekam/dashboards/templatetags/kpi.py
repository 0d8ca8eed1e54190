"""A KPI value as the dashboards show it: a percentage, yuan or a count (— when none)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from telekam.core.templatetags.tk import yuan

register = template.Library()


@register.filter
def kpi_text(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{Decimal(value).quantize(Decimal('0.1'))}%"
    if unit == "yuan":
        return yuan(value, 0)
    return f"{value:,.0f}"
