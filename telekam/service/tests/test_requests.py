"""Requests of the one-stop desk: numbers, status history, the account's timeline, which
status may follow which, who may do what, the queue's order and who sees which request."""

from __future__ import annotations

import datetime as dt

import pytest

from telekam.accounts.models import VirtualTeamMember
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory, band
from telekam.core import clock
from telekam.core.errors import ApplicationError, NotFound, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.service import services
from telekam.service.models import RequestEvent, ServiceRequest
from telekam.service.selectors import QueueFilters, request_get_visible, request_queue
from telekam.service.tests.factories import activate, aware, fault, order_at, reload

pytestmark = pytest.mark.django_db

D = dt.date
T0 = aware(D(2026, 11, 2), 9, 0)


@pytest.fixture
def am():
    return UserFactory()


@pytest.fixture
def desk():
    return UserFactory(desk=True, last_name="周", first_name="客服")


@pytest.fixture
def account(am):
    return AccountFactory(owner=am)


def open_request(actor, account, *, at=T0, kind="consultation", subject="带宽咨询", **extra):
    with clock.frozen(at):
        return services.request_open(
            actor=actor, account=account, kind=kind, subject=subject, **extra
        )


def move(actor, request, to_status, *, note="", at=None):
    current = reload(request)
    with clock.frozen(at or aware(D(2026, 11, 2), 11)):
        return services.request_transition(
            actor=actor, request=current, to_status=to_status, note=note,
            expected_version=current.version,
        )  # fmt: skip


def history(request) -> list[tuple[str, str, str]]:
    return list(
        RequestEvent.objects.filter(request=request).values_list("from_status", "to_status", "note")
    )


def state(request) -> tuple:
    fresh = reload(request)
    return (
        fresh.status, fresh.version, fresh.owner_id, fresh.resolution, fresh.resolved_at,
        RequestEvent.objects.filter(request=request).count(),
        AuditEntry.objects.filter(target_type="service.servicerequest").count(),
    )  # fmt: skip


# --- numbers -----------------------------------------------------------------------------------


def test_numbers_are_sr_date_and_a_daily_sequence(desk, account, am):
    first = open_request(desk, account)
    second = open_request(desk, account, kind="billing", at=aware(D(2026, 11, 2), 17))
    # An order's request draws from the same daily sequence.
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2), hour=18)
    next_day = open_request(desk, account, at=aware(D(2026, 11, 3), 8))
    assert [first.number, second.number, accepted.request.number, next_day.number] == [
        "SR202611020001", "SR202611020002", "SR202611020003", "SR202611030001",
    ]  # fmt: skip


def test_the_number_carries_the_local_date(desk, account):
    # 00:30 in Beijing on 4 Nov is still 3 Nov in UTC.
    request = open_request(desk, account, at=aware(D(2026, 11, 4), 0, 30))
    assert request.number == "SR202611040001"


# --- history and timeline -------------------------------------------------------------------


def test_opening_records_the_first_history_row_and_the_timeline(desk, account):
    request = open_request(
        desk, account, channel="email", contact_name="李工", contact_phone="13900000001",
        description="想把带宽升到 100M",
    )  # fmt: skip
    fresh = reload(request)
    assert (fresh.kind, fresh.status, fresh.owner_id, fresh.opened_by_id, fresh.opened_at) == (
        "consultation", "new", desk.pk, desk.pk, T0,
    )  # fmt: skip
    assert (fresh.channel, fresh.contact_name, fresh.contact_phone) == (
        "email", "李工", "13900000001",
    )  # fmt: skip
    event = RequestEvent.objects.get(request=request)
    assert (event.from_status, event.to_status, event.note, event.actor_id, event.at) == (
        "", "new", "受理", desk.pk, T0,
    )  # fmt: skip
    assert event.actor_name == "周客服"
    entry = AuditEntry.objects.get(account=account)
    assert (entry.action, entry.target_type, entry.target_id, entry.at) == (
        "create", "service.servicerequest", str(request.pk), T0,
    )  # fmt: skip
    assert entry.summary == "受理业务咨询 SR202611020001：带宽咨询"


def test_a_request_through_its_life(desk, account):
    other = UserFactory(desk=True, last_name="吴", first_name="二")
    request = open_request(desk, account)
    move(desk, request, "in_progress", at=aware(D(2026, 11, 2), 10))
    with clock.frozen(aware(D(2026, 11, 2), 10, 5)):
        current = reload(request)
        services.request_assign(
            actor=desk, request=current, owner=other, expected_version=current.version
        )
        services.request_note(actor=other, request=current, note=" 已回电 ")
    move(other, request, "waiting_customer", at=aware(D(2026, 11, 2), 10, 30))
    move(other, request, "resolved", note="已给出升级方案", at=aware(D(2026, 11, 3), 9))
    move(other, request, "closed", at=aware(D(2026, 11, 5), 9))

    assert history(request) == [
        ("", "new", "受理"),
        ("new", "in_progress", ""),
        ("in_progress", "in_progress", "分派给 吴二"),
        ("in_progress", "in_progress", "已回电"),
        ("in_progress", "waiting_customer", ""),
        ("waiting_customer", "resolved", "已给出升级方案"),
        ("resolved", "closed", ""),
    ]
    fresh = reload(request)
    assert (fresh.status, fresh.owner_id, fresh.resolution, fresh.resolved_at, fresh.version) == (
        "closed", other.pk, "已给出升级方案", aware(D(2026, 11, 3), 9), 6,
    )  # fmt: skip
    # The timeline shows the opening, the resolution and the closing, not every step.
    assert list(
        AuditEntry.objects.filter(account=account).order_by("at", "id").values_list("summary", flat=True)
    ) == [
        "受理业务咨询 SR202611020001：带宽咨询",
        "受理单 SR202611020001 已解决",
        "受理单 SR202611020001 已关闭",
    ]  # fmt: skip


def test_cancelling_is_on_the_timeline(desk, account):
    request = open_request(desk, account)
    move(desk, request, "cancelled")
    assert AuditEntry.objects.filter(
        account=account, action="event", summary="受理单 SR202611020001 已撤销"
    ).exists()


# --- which status may follow which -------------------------------------------------------------

PATHS = {
    "new": [],
    "in_progress": ["in_progress"],
    "waiting_customer": ["waiting_customer"],
    "resolved": ["resolved"],
    "closed": ["resolved", "closed"],
    "cancelled": ["cancelled"],
}


def reach(desk, request, status):
    for step in PATHS[status]:
        move(desk, request, step, note="处理完毕" if step == "resolved" else "")


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("new", "in_progress"),
        ("new", "waiting_customer"),
        ("new", "resolved"),
        ("new", "cancelled"),
        ("in_progress", "waiting_customer"),
        ("in_progress", "resolved"),
        ("in_progress", "cancelled"),
        ("waiting_customer", "in_progress"),
        ("waiting_customer", "resolved"),
        ("resolved", "closed"),
        ("resolved", "in_progress"),
    ],
)
def test_allowed_transitions(desk, account, start, to):
    request = open_request(desk, account)
    reach(desk, request, start)
    move(desk, request, to, note="处理完毕")
    assert reload(request).status == to
    assert history(request)[-1][:2] == (start, to)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("new", "new"),
        ("new", "closed"),
        ("in_progress", "new"),
        ("in_progress", "closed"),
        ("waiting_customer", "cancelled"),
        ("waiting_customer", "closed"),
        ("resolved", "cancelled"),
        ("resolved", "waiting_customer"),
        ("closed", "in_progress"),
        ("closed", "resolved"),
        ("cancelled", "new"),
        ("cancelled", "in_progress"),
        ("new", "bogus"),
    ],
)
def test_refused_transitions_change_nothing(desk, account, start, to):
    request = open_request(desk, account)
    reach(desk, request, start)
    before = state(request)
    with pytest.raises(ApplicationError) as info:
        move(desk, request, to, note="处理完毕")
    assert info.value.code == "bad_transition"
    assert state(request) == before


def test_resolving_needs_the_result(desk, account):
    request = open_request(desk, account)
    before = state(request)
    with pytest.raises(ApplicationError) as info:
        move(desk, request, "resolved", note="  ")
    assert info.value.field == "note"
    assert state(request) == before


def test_a_reopened_request_resolved_again_shows_the_new_result(desk, account):
    request = open_request(desk, account)
    move(desk, request, "resolved", note="第一次处理", at=aware(D(2026, 11, 2), 10))
    move(desk, request, "in_progress", at=aware(D(2026, 11, 3), 10))
    reopened = reload(request)
    assert (reopened.status, reopened.resolved_at, reopened.resolution) == ("in_progress", None, "")
    move(desk, request, "resolved", note="更换光模块后恢复", at=aware(D(2026, 11, 4), 10))
    fresh = reload(request)
    assert (fresh.resolution, fresh.resolved_at) == ("更换光模块后恢复", aware(D(2026, 11, 4), 10))


# --- orders and faults move their request themselves -------------------------------------------


def test_an_order_request_is_not_resolved_or_parked_by_hand(desk, account, am):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    request = accepted.request
    before = state(request)
    for to in ("resolved", "waiting_customer"):
        with pytest.raises(ApplicationError) as info:
            move(desk, request, to, note="已开通")
        assert info.value.code == "bad_transition"
    assert state(request) == before


def test_an_order_request_is_not_cancelled_by_hand(desk, account, am):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    before = state(accepted.request)
    with pytest.raises(ApplicationError) as info:
        move(desk, accepted.request, "cancelled")
    assert info.value.code == "bad_transition"
    assert state(accepted.request) == before
    assert reload(accepted).status == "open"


def test_a_reopened_order_request_is_not_stuck_open(desk, account, am):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    activate(actor=UserFactory(ops=True), order=accepted, on=D(2026, 11, 20))
    request = reload(accepted).request
    refusal = None
    try:
        move(desk, request, "in_progress", at=aware(D(2026, 11, 21)))
    except ApplicationError as exc:  # refusing the reopening is a fix too
        refusal = exc
    if refusal is not None:
        assert refusal.code == "bad_transition"
        assert reload(request).status == "resolved"
        return
    move(desk, request, "resolved", note="客户确认恢复", at=aware(D(2026, 11, 22)))
    assert reload(request).status == "resolved"


def test_a_fault_request_is_not_resolved_parked_or_cancelled_by_hand(desk, account):
    service = ServiceFactory(account=account)
    reported = fault(actor=desk, service=service, at=aware(D(2026, 11, 2), 9))
    request = reported.request
    before = state(request)
    for to in ("resolved", "waiting_customer", "cancelled"):
        with pytest.raises(ApplicationError) as info:
            move(desk, request, to, note="已修复")
        assert info.value.code == "bad_transition"
    assert state(request) == before


@pytest.mark.parametrize("kind", ["order", "fault"])
def test_orders_and_faults_are_not_opened_as_plain_requests(desk, account, kind):
    with pytest.raises(ApplicationError) as info:
        open_request(desk, account, kind=kind)
    assert (info.value.code, info.value.field) == ("wrong_kind", "kind")
    assert not ServiceRequest.objects.exists()


# --- who may do what -------------------------------------------------------------------------


def actor_for(name: str, am):
    return {
        "owner": lambda: am,
        "desk": lambda: UserFactory(desk=True),
        "ops": lambda: UserFactory(ops=True),
        "head": lambda: UserFactory(head=True),
        "lead": lambda: UserFactory(lead=True),
        "admin": lambda: UserFactory(admin=True),
        "analyst": lambda: UserFactory(analyst=True),
        "presales": lambda: UserFactory(presales=True),
        "am_same_group": lambda: UserFactory(),
        "am_elsewhere": lambda: UserFactory(group=group("government")),
        "lead_elsewhere": lambda: UserFactory(lead=True, group=group("government")),
    }[name]()


@pytest.mark.parametrize("who", ["owner", "desk", "ops", "head", "lead", "admin"])
def test_who_may_open_and_work_a_request(account, am, who):
    actor = actor_for(who, am)
    request = open_request(actor, account)
    move(actor, request, "in_progress")
    with clock.frozen(T0):
        services.request_note(actor=actor, request=reload(request), note="跟进")
    assert reload(request).status == "in_progress"


@pytest.mark.parametrize(
    "who", ["analyst", "presales", "am_same_group", "am_elsewhere", "lead_elsewhere"]
)
def test_who_may_not_open_or_work_a_request(desk, account, am, who):
    actor = actor_for(who, am)
    with pytest.raises(PermissionDenied):
        open_request(actor, account)
    assert not ServiceRequest.objects.exists()
    request = open_request(desk, account)
    before = state(request)
    with pytest.raises(PermissionDenied):
        move(actor, request, "in_progress")
    with pytest.raises(PermissionDenied):
        services.request_assign(
            actor=actor, request=reload(request), owner=actor, expected_version=1
        )
    with pytest.raises(PermissionDenied):
        services.request_note(actor=actor, request=reload(request), note="看看")
    assert state(request) == before


def test_assign_refuses_an_inactive_owner_and_a_finished_request(desk, account):
    request = open_request(desk, account)
    gone = UserFactory(desk=True, is_active=False)
    before = state(request)
    with pytest.raises(ApplicationError) as info:
        services.request_assign(actor=desk, request=reload(request), owner=gone, expected_version=1)
    assert info.value.field == "owner"
    assert state(request) == before
    move(desk, request, "cancelled")
    before = state(request)
    with pytest.raises(ApplicationError) as info:
        services.request_assign(
            actor=desk, request=reload(request), owner=UserFactory(desk=True), expected_version=2
        )
    assert info.value.code == "bad_transition"
    assert state(request) == before


def test_assign_refuses_an_owner_who_cannot_work_the_account(desk, account):
    request = open_request(desk, account)
    outsider = UserFactory(group=group("government"))
    before = state(request)
    with pytest.raises(ApplicationError) as info:
        services.request_assign(
            actor=desk, request=reload(request), owner=outsider, expected_version=1
        )
    assert info.value.field == "owner"
    assert state(request) == before


def test_a_note_needs_text(desk, account):
    request = open_request(desk, account)
    before = state(request)
    with pytest.raises(ApplicationError) as info:
        services.request_note(actor=desk, request=request, note="   ")
    assert info.value.field == "note"
    assert state(request) == before


# --- the queue -------------------------------------------------------------------------------


def test_queue_key_accounts_first_by_star_level_then_oldest_first(desk):
    owner = UserFactory()
    commercial_5 = AccountFactory(
        owner=owner, segment="commercial", grade=band("a", "commercial"), star_level=5
    )
    key_1 = AccountFactory(owner=owner, star_level=1)
    key_3 = AccountFactory(owner=owner, star_level=3)
    key_5 = AccountFactory(owner=owner, star_level=5)
    opened = [
        ("c5 oldest", commercial_5, aware(D(2026, 11, 1), 8)),
        ("k1 old", key_1, aware(D(2026, 11, 1), 9)),
        ("k3 newer", key_3, aware(D(2026, 11, 2), 9)),
        ("k3 older", key_3, aware(D(2026, 11, 1), 10)),
        ("k5 newest", key_5, aware(D(2026, 11, 2), 12)),
        ("k1 newer", key_1, aware(D(2026, 11, 2), 8)),
    ]
    for subject, acc, at in opened:
        open_request(desk, acc, subject=subject, at=at)
    queue = request_queue(user=desk, filters=QueueFilters())
    assert [r.subject for r in queue] == [
        "k5 newest", "k3 older", "k3 newer", "k1 old", "k1 newer", "c5 oldest",
    ]  # fmt: skip


def test_queue_filters(desk, account, am):
    ops = UserFactory(ops=True)
    open_request(desk, account, subject="咨询一")
    done = open_request(desk, account, subject="咨询二", kind="billing")
    move(desk, done, "resolved", note="已解释")
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    other = open_request(UserFactory(desk=True), AccountFactory(), subject="别人的")

    def subjects(user, **filters):
        return sorted(r.subject for r in request_queue(user=user, filters=QueueFilters(**filters)))

    assert subjects(desk) == sorted(["咨询一", accepted.request.subject, "别人的"])
    assert subjects(desk, status="closed") == ["咨询二"]
    assert subjects(desk, status="all", kind="billing") == ["咨询二"]
    assert subjects(desk, mine=True) == ["咨询一"]  # owned by the desk agent
    assert subjects(am, mine=True) == sorted(
        ["咨询一", accepted.request.subject]
    )  # the AM's account
    assert subjects(desk, q="SR202611020001") == ["咨询一"]
    assert subjects(desk, q=account.code) == sorted(["咨询一", accepted.request.subject])
    # Operations works orders and faults unless it asks for another kind.
    assert subjects(ops) == [accepted.request.subject]
    assert subjects(ops, kind="consultation") == sorted(["咨询一", "别人的"])
    assert subjects(desk, group_id=other.account.group_id, kind="consultation") == sorted(
        ["咨询一", "别人的"]
    )
    assert subjects(desk, group_id=group("government").pk) == []


# --- who sees which request -----------------------------------------------------------------


@pytest.fixture
def landscape(desk):
    """Three accounts: the AM's own (finance), a colleague's in finance, and one in the
    government group where the AM is on the virtual team."""
    am = UserFactory()
    colleague = UserFactory()
    gov_owner = UserFactory(group=group("government"))
    own = AccountFactory(owner=am, name="本人客户")
    same_group = AccountFactory(owner=colleague, name="同组客户")
    on_team = AccountFactory(owner=gov_owner, name="团队客户")
    VirtualTeamMember.objects.create(account=on_team, user=am, role="provincial")
    elsewhere = AccountFactory(owner=gov_owner, name="他组客户")
    requests = {
        name: open_request(desk, acc, subject=name)
        for name, acc in [
            ("own", own), ("same_group", same_group), ("on_team", on_team),
            ("elsewhere", elsewhere),
        ]
    }  # fmt: skip
    return am, requests


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("am", {"own", "on_team"}),
        ("lead", {"own", "same_group"}),  # finance group
        ("presales", {"own", "same_group"}),
        ("desk", {"own", "same_group", "on_team", "elsewhere"}),
        ("ops", {"own", "same_group", "on_team", "elsewhere"}),
        ("head", {"own", "same_group", "on_team", "elsewhere"}),
        ("analyst", {"own", "same_group", "on_team", "elsewhere"}),
        ("inactive", set()),
    ],
)
def test_who_sees_which_request(landscape, who, sees):
    am, requests = landscape
    user = {
        "am": lambda: am,
        "lead": lambda: UserFactory(lead=True),
        "presales": lambda: UserFactory(presales=True),
        "desk": lambda: UserFactory(desk=True),
        "ops": lambda: UserFactory(ops=True),
        "head": lambda: UserFactory(head=True),
        "analyst": lambda: UserFactory(analyst=True),
        "inactive": lambda: UserFactory(head=True, is_active=False),
    }[who]()
    queue = request_queue(user=user, filters=QueueFilters(kind="consultation"))
    assert {r.subject for r in queue} == sees
    for name, request in requests.items():
        if name in sees:
            assert request_get_visible(user=user, pk=request.pk).pk == request.pk
        else:
            with pytest.raises(NotFound):
                request_get_visible(user=user, pk=request.pk)


@pytest.mark.parametrize("pk", [987654, "abc", None])
def test_an_unknown_request_is_not_found(desk, pk):
    with pytest.raises(NotFound):
        request_get_visible(user=desk, pk=pk)


def test_a_request_of_an_activated_order_leaves_the_open_queue(desk, account, am):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    assert [r.pk for r in request_queue(user=desk, filters=QueueFilters())] == [accepted.request_id]
    activate(actor=UserFactory(ops=True), order=accepted, on=D(2026, 11, 20))
    assert list(request_queue(user=desk, filters=QueueFilters())) == []
    assert [r.pk for r in request_queue(user=desk, filters=QueueFilters(status="resolved"))] == [
        accepted.request_id
    ]
