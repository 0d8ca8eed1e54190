"""`telekam demo`: a realistic, reproducible key-account department to explore the product.

One seed gives the same data every time: staff with a login per role, ~4,000 key accounts
and ~3,000 commercial customers of Beijing, ~60 group customers with their hierarchies and
virtual teams, 24 months of bills with trends, the account file around each account, and
two years of the service desk's work on them (telekam.demo.service), and a year of the
sales pipeline for them and for prospects (telekam.demo.sales), and a year of visits and
calls against the visit standards (telekam.demo.visits), and eight weeks of call records
with the churn warnings they raise, eighteen months of warnings and retention cases, and
the risk scores (telekam.demo.churn).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from telekam.accounts.models import Account, GradeBand
from telekam.billing.services import account_spend_refresh
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.demo import writer
from telekam.demo.churn import delete_churn_data, generate_churn
from telekam.demo.dashboards import delete_kpi_targets, generate_kpi_targets
from telekam.demo.forge import Forge
from telekam.demo.portfolio import PortfolioBuilder, Scale
from telekam.demo.profile import ProfileBuilder
from telekam.demo.sales import delete_sales_data, generate_sales
from telekam.demo.service import delete_service_data, generate_history
from telekam.demo.spend import Band, Bands, Calendar
from telekam.demo.staff import (
    AM_TOTAL,
    DEMO_PASSWORD,
    build_staff,
    demo_logins,
    demo_usernames,
)
from telekam.demo.surveys import delete_surveys, generate_surveys
from telekam.demo.value import delete_value_data, generate_value_inputs
from telekam.demo.visits import delete_visits_data, generate_visits
from telekam.org.models import IndustryGroup, User

DEFAULT_SEED = 20260101

__all__ = [
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "DemoResult",
    "demo_logins",
    "demo_present",
    "generate",
    "reset",
]


@dataclass(frozen=True)
class DemoResult:
    counts: dict[str, int]
    seconds: float


def demo_present() -> bool:
    """True when the demo data (or any customer data) is already in the database."""
    return User.objects.filter(username="head").exists() or Account.objects.exists()


def conflicting_usernames() -> list[str]:
    """Demo usernames already taken by users the generator did not create."""
    return sorted(
        User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True)
    )


@transaction.atomic
def reset() -> None:
    """Delete every account (and what hangs off it), the bills, the timeline, the demo users."""
    delete_churn_data()  # first: its warnings, cases and runs protect accounts and users
    delete_value_data()
    delete_kpi_targets()
    delete_surveys()  # before the accounts and users its answers point at
    delete_visits_data()  # then: its plans protect users, its logs point at opportunities
    delete_sales_data()  # then: its rows protect accounts, users and the desk's orders
    delete_service_data()  # then: its rows protect accounts, circuits and users
    writer.delete_demo_data()


def _bands() -> Bands:
    return Bands(
        [
            Band(b.pk, b.segment, b.code, b.min_monthly, b.max_monthly, b.star_level)
            for b in GradeBand.objects.all()
        ]
    )


@transaction.atomic
def generate(
    *, seed: int = DEFAULT_SEED, scale: float = 1.0, progress: Callable[[str], None] | None = None
) -> DemoResult:
    """Generate the demo data into an empty database (see `demo_present`)."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    forge = Forge(random.Random(seed))
    today = clock.today()
    calendar = Calendar.ending_before(today)
    groups = {g.code: g for g in IndustryGroup.objects.all()}
    products = {p.code: p for p in Product.objects.all()}

    staff = build_staff(
        forge,
        groups=groups,
        password_hash=make_password(DEMO_PASSWORD),
        am_count=max(12, round(AM_TOTAL * scale)),
    )
    writer.insert_users(staff.users)
    say(f"员工 {len(staff.users)} 人")

    drafts = PortfolioBuilder(
        forge,
        staff=staff,
        groups=groups,
        bands=_bands(),
        calendar=calendar,
        circuit_products=frozenset(code for code, p in products.items() if p.has_circuit),
        today=today,
    ).build(Scale.of(scale))
    writer.insert_accounts(drafts)
    say(f"客户 {len(drafts)} 户")

    profile = ProfileBuilder(
        forge, products=products, calendar=calendar, staff=staff, today=today
    ).build(drafts)
    writer.insert_profile(profile)
    say(
        f"联系人 {sum(len(w) for w in profile.contact_waves)} 人，在用业务 {len(profile.services)} 条"
    )

    lines = writer.insert_billing(drafts, products, calendar.months)
    account_spend_refresh()
    say(f"账单明细 {lines} 行")

    audits = writer.insert_audit(drafts, profile, now=clock.now(), rng=forge.rng)
    desk = generate_history(
        seed=seed,
        scale=scale,
        accounts=[d.account for d in drafts],
        profile=profile,
        staff=staff,
        products=products,
        used_numbers=forge.used_numbers,
        now=clock.now(),
    )
    say(
        f"服务受理单 {desk['service_requests']} 张（开通工单 {desk['orders']}，"
        f"故障单 {desk['faults']}），回访 {desk['callbacks']} 次"
    )
    sales = generate_sales(
        seed=seed,
        scale=scale,
        accounts=[d.account for d in drafts],
        profile=profile,
        staff=staff,
        products=products,
        forge=forge,
        now=clock.now(),
    )
    for key in ("service_requests", "request_events", "orders", "orders_open"):
        desk[key] += sales["contract_orders"]  # recent contracts' orders, one request each
    desk["service_audit_entries"] += sales["contract_orders"]
    say(
        f"商机 {sales['opportunities']} 个（潜在客户 {sales['prospects']} 家），"
        f"报价 {sales['quotes']} 份，合同 {sales['contracts']} 份"
    )
    visits = generate_visits(seed=seed, staff=staff, now=clock.now())
    say(f"走访计划 {visits['planned_contacts']} 项，走访与电话记录 {visits['contact_logs']} 条")
    churn = generate_churn(seed=seed, drafts=drafts, staff=staff, now=clock.now())
    c = churn.counts
    visits["planned_contacts"] += c["churn_planned_visits"]  # a warning earns a visit
    say(
        f"话单 {c['call_records']} 条（{c['call_files']} 个文件，隔离 {c['call_rows_bad']} 行），"
        f"流失预警 {c['churn_warnings']} 条（未关闭 {c['churn_warnings_open']}），"
        f"挽留案例 {c['retention_cases']} 个，风险评分 {c['risk_scores']} 户"
        f"（模型：{churn.risk}）；转网迹象：{'、'.join(churn.drifting) or '无'}"
    )
    value = generate_value_inputs(seed=seed)
    say(f"成本池 {value['cost_pools']} 项，公众客户统计 {value['segment_figures']} 个月")
    targets = generate_kpi_targets()
    say(f"经营指标目标 {targets['kpi_targets']} 项")
    surveys = generate_surveys(seed=seed, today=clock.today())
    say(f"满意度调查答卷 {surveys['survey_responses']} 份")
    counts = {
        "users": len(staff.users),
        "accounts": len(drafts),
        "sites": len(profile.sites),
        "contacts": sum(len(w) for w in profile.contact_waves),
        "services": len(profile.services),
        "events": len(profile.events),
        "competitors": len(profile.competitors),
        "team_members": len(profile.team),
        "billing_lines": lines,
        "audit_entries": audits,
        **desk,
        **sales,
        **visits,
        **churn.counts,
        **value,
        **targets,
        **surveys,
    }
    return DemoResult(counts=counts, seconds=time.monotonic() - started)
