"""The demo generator at 2% scale: reproducible, valid identity data, a consistent
organisation and hierarchy, 24 months of bills, and working logins."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Sum

from telekam.accounts.models import (
    Account,
    Contact,
    GradeBand,
    ServiceInUse,
    ServiceStatus,
    VirtualTeamMember,
)
from telekam.billing.models import BillingLine
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.core.validators import validate_mainland_phone, validate_mobile, validate_uscc
from telekam.demo import generator
from telekam.demo.staff import DEMO_PASSWORD
from telekam.org.models import Role, User

pytestmark = pytest.mark.django_db

SCALE = 0.02
TODAY = dt.datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MONTHS = [dt.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]
LIST_YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 1))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data generated once for the module's read-only checks, removed afterwards."""
    with django_db_blocker.unblock(), clock.frozen(TODAY):
        result = generator.generate(scale=SCALE)
    yield result
    with django_db_blocker.unblock():
        generator.reset()


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "accounts": list(
            Account.objects.order_by("code").values_list(
                "code", "name", "credit_code", "segment", "grade__code", "discount_pct",
                "owner__username", "parent__code", "root__code", "avg_monthly_spend",
            )
        ),
        "billing": list(
            BillingLine.objects.order_by("account__code", "month", "product__code").values_list(
                "account__code", "month", "product__code", "amount"
            )
        ),
        "contacts": list(Contact.objects.order_by("account__code", "name", "mobile").values_list(
            "account__code", "name", "mobile", "reports_to__name"
        )),
        "services": list(ServiceInUse.objects.order_by("number").values_list(
            "account__code", "number", "monthly_fee", "status"
        )),
        "users": list(User.objects.order_by("username").values_list(
            "username", "last_name", "first_name", "role", "group__code"
        )),
    }  # fmt: skip


def test_same_seed_gives_identical_data_and_reset_removes_it(demo):
    first = _snapshot()
    # Inside the test's transaction: the module's data is back once the test ends.
    generator.reset()
    assert Account.objects.count() == 0
    assert BillingLine.objects.count() == 0
    assert not AuditEntry.objects.filter(account__isnull=False).exists()
    assert not User.objects.filter(username__in=["head", "am_finance", "am001"]).exists()
    with clock.frozen(TODAY):
        generator.generate(scale=SCALE)
    second = _snapshot()
    assert len(first["accounts"]) == 80 + 60
    assert len(first["billing"]) >= 24 * 2 * 140
    assert first == second


def test_rerun_without_reset_adds_no_rows(demo):
    models = (User, Account, Contact, ServiceInUse, BillingLine, AuditEntry, VirtualTeamMember)
    before = {m.__name__: m.objects.count() for m in models}
    out = io.StringIO()
    call_command("demo", "--scale", str(SCALE), stdout=out)
    assert {m.__name__: m.objects.count() for m in models} == before
    assert "演示数据已存在" in out.getvalue()
    assert "am_finance" in out.getvalue()


def test_counts_follow_the_scale(demo):
    assert Account.objects.filter(segment="key").count() == 80
    assert Account.objects.filter(segment="commercial").count() == 60
    assert demo.counts["accounts"] == 140
    assert Account.objects.filter(key_list_year=2026).count() == 80
    assert User.objects.filter(role=Role.ACCOUNT_MANAGER).count() == 12
    per_group = Counter(
        User.objects.filter(role=Role.ACCOUNT_MANAGER).values_list("group__code", flat=True)
    )
    assert set(per_group.values()) == {2}


def test_every_credit_code_is_valid_and_unique(demo):
    codes = [c for c in Account.objects.values_list("credit_code", flat=True) if c]
    assert len(codes) >= 120  # military units have none
    assert len(set(codes)) == len(codes)
    for code in codes:
        validate_uscc(code)


def test_every_phone_number_is_valid(demo):
    for phone in Account.objects.values_list("phone", flat=True):
        validate_mainland_phone(phone)
    for mobile, phone in Contact.objects.values_list("mobile", "phone"):
        if mobile:
            validate_mobile(mobile)
        if phone:
            validate_mainland_phone(phone)
    for mobile in User.objects.values_list("mobile", flat=True):
        validate_mobile(mobile)
    for code, number in ServiceInUse.objects.values_list("product__code", "number"):
        if code == "mobile_package":
            validate_mobile(number)
        elif code == "voice_trunk":
            validate_mainland_phone(number)
        else:
            assert number[:2].isalpha()
            assert number[2] == "-"


def test_each_account_is_owned_by_an_am_of_its_group(demo):
    accounts = Account.objects.select_related("owner")
    assert all(a.group_id == a.owner.group_id for a in accounts)
    assert {a.owner.role for a in accounts} == {Role.ACCOUNT_MANAGER}
    government = Account.objects.filter(group__code="government")
    assert set(government.values_list("industry", flat=True)) == {"government"}
    assert set(
        Account.objects.filter(group__code="hightech").values_list("industry", flat=True)
    ) <= {
        "it",
        "media",
    }


def test_hierarchies_point_at_their_top(demo):
    by_pk = {a.pk: a for a in Account.objects.all()}
    for account in by_pk.values():
        top = account
        while top.parent_id is not None:
            top = by_pk[top.parent_id]
        assert account.root_id == top.pk
    hqs = [a for a in by_pk.values() if a.level == "hq"]
    assert len(hqs) == 2
    for hq in hqs:
        members = [a for a in by_pk.values() if a.root_id == hq.pk and a.pk != hq.pk]
        provincial = [a for a in members if a.level == "provincial"]
        assert 2 <= len(provincial) <= 5
        assert all(by_pk[a.parent_id].level == "provincial" for a in members if a.level == "branch")
        member_owners = {a.owner_id for a in members} - {hq.owner_id}
        team = VirtualTeamMember.objects.filter(account=hq)
        assert set(team.exclude(role="support").values_list("user_id", flat=True)) == member_owners


def test_service_numbers_are_unique_among_services_in_use(demo):
    numbers = list(
        ServiceInUse.objects.exclude(status=ServiceStatus.CANCELLED).values_list(
            "number", flat=True
        )
    )
    assert len(numbers) == len(set(numbers))
    per_key = Account.objects.filter(segment="key").annotate(n=Count("services"))
    assert {a.n for a in per_key} <= set(range(1, 7))


def test_bills_cover_24_months_before_today(demo):
    months = BillingLine.objects.aggregate(
        first=Min("month"), last=Max("month"), count=Count("month", distinct=True)
    )
    assert months == {"first": MONTHS[0], "last": MONTHS[-1], "count": 24}
    per_account = BillingLine.objects.values("account").annotate(m=Count("month", distinct=True))
    assert {row["m"] for row in per_account} == {24}
    assert not BillingLine.objects.filter(amount__lte=0).exists()


def test_active_service_fees_match_the_last_bill(demo):
    last = MONTHS[-1]
    fees: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for account_id, product_id, fee in ServiceInUse.objects.filter(
        status=ServiceStatus.ACTIVE
    ).values_list("account_id", "product_id", "monthly_fee"):
        fees[(account_id, product_id)] += fee
    lines = {
        (a, p): amount
        for a, p, amount in BillingLine.objects.filter(month=last).values_list(
            "account_id", "product_id", "amount"
        )
    }
    assert len(fees) >= 100
    assert all(lines[key] == fee for key, fee in fees.items())


def test_current_grade_is_last_years_band_and_billing_now_proposes_changes(demo):
    bands = list(GradeBand.objects.all())

    def band_of(spend: Decimal) -> GradeBand:
        return next(b for b in bands if b.contains(spend))

    last_year = dict(
        BillingLine.objects.filter(month__range=LIST_YEAR)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    changed = key_dropping = commercial_rising = 0
    for account in Account.objects.all():
        average = (last_year[account.pk] / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert account.grade_id == band_of(average).pk
        assert account.segment == account.grade.segment
        assert account.star_level == account.grade.star_level
        proposed = band_of(account.avg_monthly_spend)
        changed += proposed.pk != account.grade_id
        key_dropping += account.segment == "key" and proposed.segment == "commercial"
        commercial_rising += account.segment == "commercial" and proposed.segment == "key"
    assert changed >= 1
    assert key_dropping == 2  # 2% of 80
    assert commercial_rising == 1  # 2% of 60


def test_some_a_plus_customers_get_more_discount_than_some_crystal_accounts(demo):
    best_a = max(Account.objects.filter(grade__code="a").values_list("discount_pct", flat=True))
    worst_crystal = min(
        Account.objects.filter(grade__code="crystal").values_list("discount_pct", flat=True)
    )
    assert best_a > worst_crystal


def test_every_account_has_a_creation_entry_on_its_timeline(demo):
    created = AuditEntry.objects.filter(actor_name="演示数据", summary="建档（演示数据导入）")
    assert created.count() == Account.objects.count()
    assert set(created.values_list("target_type", flat=True)) == {"accounts.account"}
    assert {int(t) for t in created.values_list("target_id", flat=True)} == set(
        Account.objects.values_list("pk", flat=True)
    )


def test_demo_logins_exist_with_their_roles_and_password(demo):
    expected = {
        "head": Role.DEPARTMENT_HEAD,
        "lead_finance": Role.GROUP_LEAD,
        "am_finance": Role.ACCOUNT_MANAGER,
        "presales": Role.PRESALES,
        "desk": Role.SERVICE_DESK,
        "ops": Role.OPERATIONS,
        "analyst": Role.ANALYST,
        "admin": Role.ADMIN,
    }
    logins = generator.demo_logins()
    assert [username for username, _label, _password in logins] == list(expected)
    for username, _label, password in logins:
        user = User.objects.get(username=username)
        assert user.role == expected[username]
        assert password == DEMO_PASSWORD
        assert user.check_password(password)
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert User.objects.get(username="lead_finance").group.code == "finance"
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()


def test_am_finance_owns_a_group_customer_hierarchy(demo):
    am = User.objects.get(username="am_finance")
    owned = Account.objects.filter(owner=am)
    levels = Counter(owned.values_list("level", flat=True))
    assert levels == {"hq": 1, "provincial": 2, "branch": 3, "standalone": 3}
    assert set(owned.values_list("segment", flat=True)) == {"key"}
    hq = owned.get(level="hq")
    assert Account.objects.filter(root=hq).count() == 10
    assert VirtualTeamMember.objects.filter(account=hq).exists()


def test_value_inputs_give_every_billed_month_its_pools_and_plausible_margins(demo):
    from statistics import median

    from telekam.value import selectors as value
    from telekam.value.models import CostPool, SegmentFigure

    months = set(BillingLine.objects.values_list("month", flat=True))
    assert set(CostPool.objects.values_list("month", flat=True)) == months
    assert CostPool.objects.count() == 3 * len(months)
    assert set(SegmentFigure.objects.values_list("month", flat=True)) == months
    latest = max(months)
    values = value.direct_values(month=latest)
    margins = [v.margin_pct for v in values.values() if v.margin_pct is not None]
    assert len(margins) == len(values) > 0
    assert Decimal(30) < median(margins) < Decimal(80)
    arpu = value.segment_arpu(month=latest)
    assert arpu["public"].source == "statistics"
    assert arpu["commercial"].source == "billing"
    assert arpu["key"].value > arpu["commercial"].value > arpu["public"].value
    # potential value: every industry's growth of each billed year, shares of wallet, and
    # the composite table over the key accounts in a fixed number of queries
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from telekam.accounts.models import Industry
    from telekam.value import composite
    from telekam.value.models import IndustryGrowth, ShareOfWallet

    years = {m.year for m in months}
    assert IndustryGrowth.objects.count() == len(years) * len(Industry.values)
    shares = list(ShareOfWallet.objects.values_list("share_pct", flat=True))
    assert 0 < len(shares) < len(values)
    assert all(Decimal(25) <= s <= Decimal(95) for s in shares)
    with CaptureQueriesContext(connection) as queries:
        table = composite.composite_table(month=latest)
    assert len(queries) <= 20
    assert set(table.rows) == set(values)
    rows = list(table.rows.values())
    assert all(r.potential is not None for r in rows)
    # a direct potential wherever a retention curve could be fitted (the demo's bills
    # start together 24 months back and key accounts seldom stop: often none can be)
    assert all(
        (r.potential.fit is None and r.potential.lost_on is None) == (r.potential.direct is None)
        for r in rows
    )
    assert sum(1 for r in rows if r.potential.indirect is not None) == len(shares)
    assert all(r.score is not None and 0 <= r.score <= 100 for r in rows)
