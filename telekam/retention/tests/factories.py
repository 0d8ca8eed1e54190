"""Factories of the churn part: warnings (with evidence of each source) and cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory

from telekam.accounts.tests.factories import AccountFactory
from telekam.retention.models import (
    ChurnWarning,
    RetentionAction,
    RetentionCase,
    Severity,
    WarningSource,
    WarningStatus,
)

DAY = dt.date(2026, 11, 30)  # a Monday


def calls_evidence(as_of: dt.date = dt.date(2026, 11, 29)) -> dict[str, Any]:
    """Eight weeks: 35 competitor minutes a week, then 420 of 700 in the last one."""
    series = [
        {
            "week_end": (as_of - dt.timedelta(days=7 * w)).isoformat(),
            "ld_minutes": 700.0,
            "competitor_minutes": 35.0 if w else 420.0,
        }
        for w in range(7, -1, -1)
    ]
    return {
        "as_of": as_of.isoformat(),
        "rules": ["competitor_share", "own_ld_drop"],
        "ld_minutes": 700.0,
        "competitor_minutes": 420.0,
        "share_pct": 60.0,
        "baseline_ld_minutes": 700.0,
        "baseline_share_pct": 5.0,
        "own_drop_pct": 57.9,
        "thresholds": {
            "competitor_share_pct": 20.0,
            "share_rise_points": 10.0,
            "ld_drop_pct": 40.0,
        },
        "series": series,
    }


def spend_evidence() -> dict[str, Any]:
    return {
        "month": "2026-10-01",
        "products": [
            {
                "product": "数字电路",
                "month_yuan": "1000.00",
                "baseline_yuan": "4000.00",
                "drop_pct": 75.0,
            }
        ],
        "total_yuan": "3000.00",
        "baseline_total_yuan": "6000.00",
        "total_drop_pct": 50.0,
        "threshold_pct": 20.0,
        "series": [
            {"month": m, "yuan": 6000.0}
            for m in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09")
        ]
        + [{"month": "2026-10", "yuan": 3000.0}],
    }


class ChurnWarningFactory(DjangoModelFactory):
    class Meta:
        model = ChurnWarning

    account = factory.SubFactory(AccountFactory)
    source = WarningSource.CALLS
    severity = Severity.HIGH
    status = WarningStatus.OPEN
    competitor = "china_unicom"
    evidence = factory.LazyFunction(calls_evidence)
    raised_on = DAY
    evidence_on = DAY
    assignee = factory.LazyAttribute(lambda o: o.account.owner)
    ack_due = DAY + dt.timedelta(days=2)


class RetentionCaseFactory(DjangoModelFactory):
    class Meta:
        model = RetentionCase

    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda o: o.account.owner)
    opened_on = DAY
    plan = "上门拜访信息部主任，提供长途资费套餐"


class RetentionActionFactory(DjangoModelFactory):
    class Meta:
        model = RetentionAction

    case = factory.SubFactory(RetentionCaseFactory)
    done_on = DAY
    text = "已拜访"
    author = factory.LazyAttribute(lambda o: o.case.owner)
