"""The compensation form of a late activation: draft -> confirmed by operations (with the
segment responsible) -> signed (the AM records the customer's signature and its scan) ->
settled by the department head as a billing credit; void only before the signature.
Every step is refused to every other role, and a refused step changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from telekam.accounts.tests.factories import AccountFactory
from telekam.billing.models import BillingCredit
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.service import services
from telekam.service.models import CompensationForm, CompensationStatus
from telekam.service.selectors import compensation_for
from telekam.service.tests.factories import activate, aware, order_at, reload, scan

pytestmark = pytest.mark.django_db

D = dt.date
CONFIRMED_AT = aware(D(2026, 10, 12), 15, 0)
SIGNED_AT = aware(D(2026, 10, 14), 11, 0)


@pytest.fixture
def am():
    return UserFactory()  # finance group


@pytest.fixture
def ops():
    return UserFactory(ops=True)


@pytest.fixture
def head():
    return UserFactory(head=True)


@pytest.fixture
def account(am):
    return AccountFactory(owner=am)


@pytest.fixture
def form(account, am, ops) -> CompensationForm:
    """Special digital circuit accepted Tue 22 Sep 2026 (due Wed 30 Sep), activated Sat
    10 Oct (make-up working day): 3 working days late, 5% x 3 x 4500 = 675.00."""
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special", fee="4500.00"
    )
    activate(actor=ops, order=accepted, on=D(2026, 10, 10), circuit_number="BJ-DC-700001")
    return CompensationForm.objects.get(order=accepted)


def confirm(form, ops, segment="transmission", finding="传输资源调度延误"):
    with clock.frozen(CONFIRMED_AT):
        return services.compensation_confirm(
            actor=ops, form=form, segment=segment, finding=finding, expected_version=form.version
        )


SIGNED_ON = D(2026, 10, 14)
SETTLE_MONTH = D(2026, 11, 17)


def sign(form, actor, *, signed_on=SIGNED_ON, upload=None, signatory="孙主任"):
    with clock.frozen(SIGNED_AT):
        return services.compensation_sign(
            actor=actor, form=form, signatory=signatory, signed_on=signed_on,
            scan=scan() if upload is None else upload, expected_version=form.version,
        )  # fmt: skip


def settle(form, actor, month=SETTLE_MONTH):
    with clock.frozen(aware(D(2026, 10, 20))):
        return services.compensation_settle(
            actor=actor, form=form, month=month, expected_version=form.version
        )


def state(form: CompensationForm) -> tuple:
    fresh = reload(form)
    return (
        fresh.status, fresh.version, fresh.responsible_segment, fresh.confirmed_by_id,
        fresh.signed_on, fresh.customer_signatory, bool(fresh.signature_scan), fresh.credit_id,
        fresh.void_reason,
    )  # fmt: skip


def role(name: str, am, head):
    return {
        "owner": lambda: am,
        "ops": lambda: UserFactory(ops=True),
        "desk": lambda: UserFactory(desk=True),
        "head": lambda: head,
        "lead": lambda: UserFactory(lead=True),  # the account's group
        "admin": lambda: UserFactory(admin=True),
        "analyst": lambda: UserFactory(analyst=True),
        "am_same_group": lambda: UserFactory(),
        "am_elsewhere": lambda: UserFactory(group=group("government")),
        "lead_elsewhere": lambda: UserFactory(lead=True, group=group("government")),
    }[name]()


def test_the_draft_of_a_late_activation(form, account):
    assert (form.number, form.status, form.account_id, form.version) == (
        "PF202610100001", "draft", account.pk, 1,
    )  # fmt: skip
    assert (form.one_time_fee, form.rate, form.working_days_late, form.amount, form.capped) == (
        Decimal("4500.00"), Decimal("0.0500"), 3, Decimal("675.00"), False,
    )  # fmt: skip


def test_the_draft_is_made_once_per_order(form):
    again = services.compensation_draft(order=form.order)
    assert again.pk == form.pk
    assert CompensationForm.objects.count() == 1


# --- confirm -----------------------------------------------------------------------------------


def test_operations_confirms_and_names_the_segment(form, ops, account):
    confirm(form, ops)
    fresh = reload(form)
    assert (fresh.status, fresh.version, fresh.responsible_segment, fresh.finding) == (
        "confirmed", 2, "transmission", "传输资源调度延误",
    )  # fmt: skip
    assert (fresh.confirmed_by_id, fresh.confirmed_at) == (ops.pk, CONFIRMED_AT)
    assert reload(fresh.order).responsible_segment == "transmission"
    entry = AuditEntry.objects.filter(account=account, target_type="service.compensationform").get()
    assert (entry.actor_id, entry.summary) == (ops.pk, "运维确认赔付单 PF202610100001（传输）")


@pytest.mark.parametrize("who", ["owner", "desk", "head", "lead", "admin"])
def test_only_operations_confirms(form, am, head, who):
    before = state(form)
    with pytest.raises(PermissionDenied):
        confirm(form, role(who, am, head))
    assert state(form) == before
    assert reload(form.order).responsible_segment == ""


@pytest.mark.parametrize("segment", ["", "weather", "customer"])
def test_confirm_needs_a_segment_of_ours(form, ops, segment):
    before = state(form)
    with pytest.raises(ApplicationError) as info:
        confirm(form, ops, segment=segment)
    assert info.value.field == "segment"
    assert state(form) == before


def test_a_delay_caused_by_the_customer_is_voided_instead(form, ops):
    with pytest.raises(ApplicationError):
        confirm(form, ops, segment="customer")
    with clock.frozen(CONFIRMED_AT):
        services.compensation_void(
            actor=ops, form=form, reason="客户机房未具备施工条件", expected_version=1
        )
    fresh = reload(form)
    assert (fresh.status, fresh.void_reason, fresh.version) == ("void", "客户机房未具备施工条件", 2)


def test_confirm_twice_is_refused(form, ops):
    confirm(form, ops)
    fresh = reload(form)
    before = state(fresh)
    with pytest.raises(ApplicationError) as info:
        confirm(fresh, ops, segment="access")
    assert info.value.code == "bad_transition"
    assert state(fresh) == before


def test_confirm_from_a_stale_read_is_a_conflict(form, ops):
    stale = reload(form)
    confirm(form, ops)
    with pytest.raises(Conflict):
        confirm(stale, UserFactory(ops=True), segment="access")
    fresh = reload(form)
    assert (fresh.responsible_segment, fresh.confirmed_by_id) == ("transmission", ops.pk)


# --- sign --------------------------------------------------------------------------------------


def test_nothing_is_signed_before_confirmation(form, am):
    before = state(form)
    with pytest.raises(ApplicationError) as info:
        sign(form, am)
    assert info.value.code == "bad_transition"
    assert state(form) == before


def test_the_am_records_the_signature_with_its_scan(form, ops, am, account):
    confirm(form, ops)
    sign(reload(form), am, upload=scan("签字页.PDF"))
    fresh = reload(form)
    assert (fresh.status, fresh.version, fresh.customer_signatory, fresh.signed_on) == (
        "signed", 3, "孙主任", D(2026, 10, 14),
    )  # fmt: skip
    assert fresh.signed_by_id == am.pk
    assert fresh.signature_scan.name.startswith("compensation/")
    assert fresh.signature_scan.name.endswith("/PF202610100001.pdf")
    assert fresh.signature_scan.read() == b"%PDF-1.4 signed"
    assert AuditEntry.objects.filter(
        account=account, summary="客户签字确认赔付单 PF202610100001", actor=am
    ).exists()


def test_the_group_lead_of_the_account_may_record_the_signature(form, ops):
    confirm(form, ops)
    lead = UserFactory(lead=True)
    sign(reload(form), lead)
    assert reload(form).signed_by_id == lead.pk


@pytest.mark.parametrize(
    "who", ["am_elsewhere", "am_same_group", "lead_elsewhere", "desk", "ops", "head", "admin"]
)
def test_only_the_am_of_the_account_signs(form, ops, am, head, who):
    confirm(form, ops)
    confirmed = reload(form)
    before = state(confirmed)
    with pytest.raises(PermissionDenied):
        sign(confirmed, role(who, am, head))
    assert state(confirmed) == before


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"upload": False}, "signature_missing", "scan"),
        ({"upload": SimpleUploadedFile("sig.docx", b"PK..")}, "invalid", "scan"),
        ({"upload": SimpleUploadedFile("sig.exe", b"MZ")}, "invalid", "scan"),
        (
            {"upload": SimpleUploadedFile("big.pdf", b"%" * (10 * 1024 * 1024 + 1))},
            "invalid",
            "scan",
        ),
        ({"signatory": "  "}, "invalid", "signatory"),
        ({"signed_on": D(2026, 10, 15)}, "in_future", "signed_on"),
    ],
)
def test_sign_refuses_bad_input(form, ops, am, kwargs, code, field):
    confirm(form, ops)
    confirmed = reload(form)
    before = state(confirmed)
    if kwargs.get("upload") is False:
        with clock.frozen(SIGNED_AT), pytest.raises(ApplicationError) as info:
            services.compensation_sign(
                actor=am, form=confirmed, signatory="孙主任", signed_on=D(2026, 10, 14),
                scan=None, expected_version=2,
            )  # fmt: skip
    else:
        with pytest.raises(ApplicationError) as info:
            sign(confirmed, am, **kwargs)
    assert (info.value.code, info.value.field) == (code, field)
    assert state(confirmed) == before


def test_a_scan_of_exactly_ten_megabytes_is_accepted(form, ops, am):
    confirm(form, ops)
    sign(reload(form), am, upload=SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024)))
    assert reload(form).status == "signed"


def test_a_signature_dated_before_the_confirmation_is_refused(form, ops, am):
    confirm(form, ops)  # 12 Oct 2026 15:00 local
    confirmed = reload(form)
    before = state(confirmed)
    with pytest.raises(ApplicationError) as info:
        sign(confirmed, am, signed_on=D(2026, 10, 11))
    assert info.value.field == "signed_on"
    assert state(confirmed) == before


def test_signature_on_the_local_day_of_an_early_morning_confirmation(form, ops, am):
    # Confirmed at 07:00 in Beijing, still the day before in UTC: signing that same local
    # day is fine.
    with clock.frozen(aware(D(2026, 10, 13), 7, 0)):
        services.compensation_confirm(
            actor=ops, form=form, segment="access", finding="", expected_version=1
        )
    sign(reload(form), am, signed_on=D(2026, 10, 13))
    assert reload(form).signed_on == D(2026, 10, 13)


def test_sign_from_a_stale_read_is_a_conflict(form, ops, am):
    confirm(form, ops)
    confirmed = reload(form)
    stale = reload(form)
    sign(confirmed, am)
    with pytest.raises(Conflict):
        sign(stale, am, signatory="别人")
    assert reload(form).customer_signatory == "孙主任"


# --- settle ------------------------------------------------------------------------------------


def test_the_head_settles_a_signed_form_as_a_credit(form, ops, am, head, account):
    confirm(form, ops)
    sign(reload(form), am)
    settle(reload(form), head, month=D(2026, 11, 17))
    fresh = reload(form)
    credit = BillingCredit.objects.get()
    assert (credit.account_id, credit.month, credit.amount, credit.reference, credit.reason) == (
        account.pk, D(2026, 11, 1), Decimal("675.00"), "PF202610100001", "开通超时赔付",
    )  # fmt: skip
    assert credit.created_by_id == head.pk
    assert (fresh.status, fresh.version, fresh.credit_id, fresh.settled_by_id) == (
        "settled", 4, credit.pk, head.pk,
    )  # fmt: skip
    assert fresh.settled_at == aware(D(2026, 10, 20))
    assert AuditEntry.objects.filter(
        account=account, summary="赔付单 PF202610100001 结算：2026-11 账期减免 675.00 元"
    ).exists()


@pytest.mark.parametrize("step", ["draft", "confirmed"])
def test_nothing_settles_before_the_signature(form, ops, head, step):
    if step == "confirmed":
        confirm(form, ops)
    current = reload(form)
    before = state(current)
    with pytest.raises(ApplicationError) as info:
        settle(current, head)
    assert info.value.code == "bad_transition"
    assert state(current) == before
    assert not BillingCredit.objects.exists()


@pytest.mark.parametrize("who", ["owner", "ops", "desk", "lead", "admin", "analyst"])
def test_only_the_head_settles(form, ops, am, head, who):
    confirm(form, ops)
    sign(reload(form), am)
    signed = reload(form)
    before = state(signed)
    with pytest.raises(PermissionDenied):
        settle(signed, role(who, am, head))
    assert state(signed) == before
    assert not BillingCredit.objects.exists()


def test_settle_twice_is_refused(form, ops, am, head):
    confirm(form, ops)
    sign(reload(form), am)
    settle(reload(form), head)
    settled = reload(form)
    before = state(settled)
    with pytest.raises(ApplicationError) as info:
        settle(settled, head, month=D(2026, 12, 1))
    assert info.value.code == "bad_transition"
    assert state(settled) == before
    assert BillingCredit.objects.count() == 1


# --- void --------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["draft", "confirmed"])
def test_operations_voids_before_the_signature(form, ops, account, step):
    if step == "confirmed":
        confirm(form, ops)
    current = reload(form)
    version = current.version
    with clock.frozen(aware(D(2026, 10, 13))):
        services.compensation_void(
            actor=ops, form=current, reason=" 重复登记 ", expected_version=version
        )
    fresh = reload(form)
    assert (fresh.status, fresh.void_reason, fresh.version) == ("void", "重复登记", version + 1)
    entry = AuditEntry.objects.filter(account=account, target_type="service.compensationform")
    assert entry.latest("id").summary.replace(" ", "") == "赔付单PF202610100001作废：重复登记"


@pytest.mark.parametrize("step", ["signed", "settled", "void"])
def test_no_void_after_the_signature_or_twice(form, ops, am, head, step):
    if step == "void":
        with clock.frozen(aware(D(2026, 10, 13))):
            services.compensation_void(actor=ops, form=form, reason="重复", expected_version=1)
    else:
        confirm(form, ops)
        sign(reload(form), am)
        if step == "settled":
            settle(reload(form), head)
    current = reload(form)
    before = state(current)
    with clock.frozen(aware(D(2026, 10, 21))), pytest.raises(ApplicationError) as info:
        services.compensation_void(
            actor=ops, form=current, reason="作废", expected_version=current.version
        )
    assert info.value.code == "bad_transition"
    assert state(current) == before


@pytest.mark.parametrize("who", ["owner", "head", "desk", "admin"])
def test_only_operations_voids(form, am, head, who):
    before = state(form)
    with clock.frozen(aware(D(2026, 10, 13))), pytest.raises(PermissionDenied):
        services.compensation_void(
            actor=role(who, am, head), form=form, reason="作废", expected_version=1
        )
    assert state(form) == before


def test_void_needs_a_reason(form, ops):
    before = state(form)
    with clock.frozen(aware(D(2026, 10, 13))), pytest.raises(ApplicationError) as info:
        services.compensation_void(actor=ops, form=form, reason=" ", expected_version=1)
    assert info.value.field == "reason"
    assert state(form) == before


def test_a_void_form_goes_nowhere(form, ops, am, head):
    with clock.frozen(aware(D(2026, 10, 13))):
        services.compensation_void(actor=ops, form=form, reason="重复", expected_version=1)
    void = reload(form)
    before = state(void)
    for step in (lambda: confirm(void, ops), lambda: sign(void, am), lambda: settle(void, head)):
        with pytest.raises(ApplicationError) as info:
            step()
        assert info.value.code == "bad_transition"
    assert state(void) == before
    assert not BillingCredit.objects.exists()


# --- the amount ------------------------------------------------------------------------------

FEES = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999.99"), places=2)
RATES = st.sampled_from([Decimal("0.02"), Decimal("0.05"), Decimal("0.0500"), Decimal("0.1234")])


@settings(max_examples=300, deadline=None)
@given(fee=FEES, rate=RATES, days=st.integers(min_value=0, max_value=400))
def test_compensation_never_exceeds_the_fee_and_grows_with_lateness(fee, rate, days):
    amount, capped = compensation_for(rate=rate, days_late=days, fee=fee)
    more, more_capped = compensation_for(rate=rate, days_late=days + 1, fee=fee)
    assert Decimal("0") <= amount <= fee
    assert amount <= more <= fee
    assert amount == amount.quantize(Decimal("0.01"))
    raw = rate * days * fee
    assert capped == (fee > 0 and raw >= fee)
    assert capped <= more_capped  # once capped, stays capped
    if capped:
        assert amount == fee
    else:
        assert abs(amount - raw) <= Decimal("0.005")
    assert compensation_for(rate=rate, days_late=0, fee=fee) == (Decimal("0.00"), False)


@pytest.mark.parametrize(
    ("rate", "days", "fee", "expected"),
    [
        ("0.05", 25, "4500.00", ("4500.00", True)),  # 125% of the fee -> the fee
        ("0.05", 20, "4500.00", ("4500.00", True)),  # exactly 100%
        ("0.05", 19, "4500.00", ("4275.00", False)),
        ("0.02", 1, "10000.00", ("200.00", False)),
        ("0.02", 3, "333.33", ("20.00", False)),  # 19.9998 rounds to 20.00
        ("0.05", 1, "0.10", ("0.01", False)),  # 0.005 rounds half up
        ("0.05", 30, "0.00", ("0.00", False)),  # no fee, nothing owed, not "capped"
    ],
)
def test_compensation_examples(rate, days, fee, expected):
    assert compensation_for(rate=Decimal(rate), days_late=days, fee=Decimal(fee)) == (
        Decimal(expected[0]),
        expected[1],
    )


def test_a_capped_form_at_activation(account, am, ops):
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special", fee="4500.00"
    )
    activate(actor=ops, order=accepted, on=D(2026, 11, 10))  # 25 working days late
    form = CompensationForm.objects.get(order=accepted)
    assert (form.working_days_late, form.amount, form.capped, form.status) == (
        25, Decimal("4500.00"), True, CompensationStatus.DRAFT,
    )  # fmt: skip
