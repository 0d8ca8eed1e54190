"""JSON API of the KPIs (issue 7 points 6 and 8): every figure of the dashboards, the
accounts behind each, the league tables, the trends, and the targets.

The figures are those of the accounts the user sees; `group` / `owner` narrow to one
industry group or AM the user may look at (403 otherwise, 404 when it does not exist).
Wrong input is a 422 naming the field. Every schema name starts with `Kpi`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from telekam.core import clock
from telekam.core.api import InputSchema, actor
from telekam.core.errors import NotFound
from telekam.dashboards import selectors, targets
from telekam.dashboards.kpis import KPIS, Kpi
from telekam.dashboards.models import KpiTarget, TargetLevel
from telekam.org.models import IndustryGroup, User
from telekam.service.api.common import invalid
from telekam.value.forms import month_asked

router = Router(tags=["kpis"])
MAX_ID = 2**31 - 1

KpiName = Literal[
    "retention_count",
    "retention_revenue",
    "satisfaction",
    "new_accounts",
    "revenue_growth",
    "avg_value",
    "sla_on_time",
    "callback_coverage",
    "visit_compliance",
    "warning_response",
]


class KpiQuery(Schema):
    kind: Literal["month", "year"] = "month"
    month: str | None = None
    group: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)


class KpiDrillQuery(KpiQuery):
    grade: int | None = Field(None, ge=1, le=MAX_ID)


class KpiTrendQuery(KpiQuery):
    kpi: KpiName = "retention_revenue"


class KpiLeagueQuery(KpiQuery):
    by: Literal["group", "owner"] = "owner"


def _month(text: str | None) -> dt.date | None:
    try:
        return month_asked(text)
    except ValidationError as error:
        raise invalid("month", error.messages[0]) from None


class KpiPeriodOut(Schema):
    kind: str
    start: dt.date
    end: dt.date
    opening: dt.date
    closing: dt.date


class KpiFigureOut(Schema):
    kpi: str
    label: str
    unit: str
    value: Decimal | None
    num: Decimal
    den: Decimal
    target: Decimal | None
    met: bool | None


def _card(card: selectors.Card) -> dict[str, Any]:
    f = card.figure
    return {
        "kpi": f.kpi.value,
        "label": str(f.info.label),
        "unit": f.info.unit,
        "value": f.value,
        "num": f.num,
        "den": f.den,
        "target": card.target,
        "met": card.met,
    }


def _period(p: Any) -> dict[str, Any]:
    return {"kind": p.kind.value, "start": p.start, "end": p.end, "opening": p.opening,
            "closing": p.closing}  # fmt: skip


def _dashboard(request: Any, query: KpiQuery, trend: Kpi = Kpi.RETENTION_REVENUE) -> Any:
    return selectors.dashboard(
        user=actor(request),
        today=clock.today(),
        kind=query.kind,
        month=_month(query.month),
        group_id=query.group,
        owner_id=query.owner,
        trend_kpi=trend,
    )


class KpiScopeOut(Schema):
    level: str
    title: str
    group: int | None
    owner: int | None


class KpiFiguresOut(Schema):
    period: KpiPeriodOut
    scope: KpiScopeOut
    figures: list[KpiFigureOut]


def _scope(data: Any) -> dict[str, Any]:
    return {"level": data.level, "title": data.title, "group": data.scope.group_id,
            "owner": data.scope.owner_id}  # fmt: skip


@router.get("/dashboard/kpis", response=KpiFiguresOut)
def kpi_figures(request: Any, query: Query[KpiQuery]) -> dict[str, Any]:
    """Every KPI of the month (or the year to date) with its target, for the user's own
    scope or one group or AM."""
    data = _dashboard(request, query)
    return {
        "period": _period(data.period),
        "scope": _scope(data),
        "figures": [_card(c) for c in data.cards],
    }


class KpiAccountOut(Schema):
    id: int
    code: str
    name: str
    owner: int | None
    group: int | None
    num: Decimal
    den: Decimal
    value: Decimal | None


class KpiDrillOut(Schema):
    period: KpiPeriodOut
    kpi: str
    figure: Decimal | None
    accounts: list[KpiAccountOut]


@router.get("/dashboard/kpis/{kpi}/accounts", response=KpiDrillOut)
def kpi_accounts(request: Any, kpi: KpiName, query: Query[KpiDrillQuery]) -> dict[str, Any]:
    """The accounts behind a KPI figure, the weakest first, with each one's part."""
    data = selectors.kpi_accounts(
        user=actor(request),
        today=clock.today(),
        kpi=Kpi(kpi),
        kind=query.kind,
        month=_month(query.month),
        group_id=query.group,
        owner_id=query.owner,
        grade_id=query.grade,
    )
    return {
        "period": _period(data.period),
        "kpi": kpi,
        "figure": data.figure.value,
        "accounts": [
            {
                "id": line.account.id,
                "code": line.account.code,
                "name": line.account.name,
                "owner": line.account.owner_id,
                "group": line.account.group_id,
                "num": line.num,
                "den": line.den,
                "value": line.value,
            }
            for line in data.lines
        ],
    }


class KpiLeagueRowOut(Schema):
    id: int | None
    label: str
    figures: list[KpiFigureOut]


class KpiLeagueOut(Schema):
    period: KpiPeriodOut
    by: str
    rows: list[KpiLeagueRowOut]


@router.get("/dashboard/league", response=KpiLeagueOut)
def kpi_league(request: Any, query: Query[KpiLeagueQuery]) -> dict[str, Any]:
    """Every KPI per industry group (`by=group`, the department's view only) or per AM."""
    data = _dashboard(request, query)
    if query.by == "group" and data.level != "department":
        raise invalid("by", _("只有全部门视图有行业组排名。"))
    rows = data.groups if query.by == "group" else data.owners
    return {
        "period": _period(data.period),
        "by": query.by,
        "rows": [
            {"id": r.key, "label": r.label, "figures": [_card(r.cards[k]) for k in KPIS]}
            for r in rows
        ],
    }


class KpiTrendPointOut(Schema):
    month: dt.date
    value: Decimal | None
    num: Decimal
    den: Decimal
    target: Decimal | None


class KpiTrendOut(Schema):
    kpi: str
    scope: KpiScopeOut
    points: list[KpiTrendPointOut]


@router.get("/dashboard/trend", response=KpiTrendOut)
def kpi_trend(request: Any, query: Query[KpiTrendQuery]) -> dict[str, Any]:
    """A KPI month by month over the 12 months up to `month`, with its monthly target."""
    data = _dashboard(request, query, trend=Kpi(query.kpi))
    return {
        "kpi": query.kpi,
        "scope": _scope(data),
        "points": [
            {"month": m, "value": f.value, "num": f.num, "den": f.den, "target": t}
            for m, f, t in data.trend
        ],
    }


class KpiTargetOut(Schema):
    id: int
    kpi: str
    year: int
    month: int
    level: str
    group: int | None
    owner: int | None
    value: Decimal
    version: int


def _target(t: KpiTarget) -> dict[str, Any]:
    return {"id": t.pk, "kpi": t.kpi, "year": t.year, "month": t.month, "level": t.level,
            "group": t.group_id, "owner": t.owner_id, "value": Decimal(t.value).quantize(Decimal("0.01")),
            "version": t.version}  # fmt: skip


class KpiTargetQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/dashboard/targets", response=list[KpiTargetOut])
def kpi_targets(request: Any, query: Query[KpiTargetQuery]) -> list[dict[str, Any]]:
    """The targets of a year (default this year) that the user may see."""
    year = query.year or clock.today().year
    return [_target(t) for t in targets.targets_list(user=actor(request), year=year)]


class KpiTargetIn(InputSchema):
    kpi: KpiName
    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(0, ge=0, le=12)
    level: Literal["department", "group", "owner"]
    group: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    value: Decimal = Field(..., max_digits=14, decimal_places=2, ge=-1000)
    version: int = Field(0, ge=0)


@router.put("/dashboard/targets", response=KpiTargetOut)
def kpi_target_put(request: Any, body: KpiTargetIn) -> dict[str, Any]:
    """Set a target: `version` 0 when there was none, else the version read (409 when
    someone changed it since)."""
    group = owner = None
    if body.group is not None and body.level != TargetLevel.GROUP:
        raise invalid("group", _("只有行业组目标指定行业组。"))
    if body.owner is not None and body.level != TargetLevel.OWNER:
        raise invalid("owner", _("只有客户经理目标指定客户经理。"))
    if body.level == TargetLevel.GROUP:
        if body.group is None:
            raise invalid("group", _("行业组目标请选择行业组。"))
        group = IndustryGroup.objects.filter(pk=body.group).first()
        if group is None:
            raise NotFound(_("没有这个行业组。"))
    if body.level == TargetLevel.OWNER:
        if body.owner is None:
            raise invalid("owner", _("客户经理目标请选择客户经理。"))
        owner = User.objects.filter(pk=body.owner).first()
        if owner is None:
            raise NotFound(_("没有这位客户经理。"))
    target = targets.kpi_target_save(
        actor=actor(request),
        kpi=body.kpi,
        year=body.year,
        month=body.month,
        level=body.level,
        group=group,
        owner=owner,
        value=body.value,
        expected_version=body.version,
    )
    return _target(target)
