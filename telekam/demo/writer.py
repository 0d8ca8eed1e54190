"""Writing the generated data: bulk inserts in dependency order, and the reset."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection
from django.db.models import F, Model, Q
from django.utils import timezone

from telekam.accounts.models import (
    Account,
    CompetitorInfo,
    Contact,
    GradeChangeProposal,
    KeyAccountListEntry,
    MajorEvent,
    ServiceInUse,
    ServiceStatus,
    Site,
    VirtualTeamMember,
)
from telekam.billing.models import BillingLine
from telekam.catalog.models import Product
from telekam.core.models import AuditAction, AuditEntry
from telekam.demo.portfolio import Draft
from telekam.demo.profile import Profile
from telekam.demo.staff import is_demo_username
from telekam.org.models import User

BATCH = 1000
BILLING_BATCH = 5000
ROWS_PER_STATEMENT = 1000  # 4,000 parameters, well within every backend's limit
VALUES_ROW = "(%s, %s, %s, %s)"
DEMO_ACTOR = "演示数据"
CREATED_SUMMARY = "建档（演示数据导入）"

M = TypeVar("M", bound=Model)


def _bulk(model: type[M], objects: Sequence[M]) -> None:
    model._default_manager.bulk_create(objects, batch_size=BATCH)


def insert_users(users: Sequence[User]) -> None:
    _bulk(User, users)


def insert_accounts(drafts: Sequence[Draft]) -> None:
    """Tops first, then provincial companies, then branches (parents must exist); the
    root of a top account is itself, set in one UPDATE once its id is known."""
    for depth in (0, 1, 2):
        _bulk(Account, [d.account for d in drafts if d.depth == depth])
    Account.objects.filter(parent__isnull=True, root__isnull=True).update(root=F("pk"))
    for draft in drafts:
        if draft.depth == 0:
            draft.account.root_id = draft.account.pk


def insert_profile(profile: Profile) -> None:
    _bulk(Site, profile.sites)
    for wave in profile.contact_waves:  # bosses before the people who report to them
        _bulk(Contact, wave)
    _bulk(ServiceInUse, profile.services)
    _bulk(MajorEvent, profile.events)
    _bulk(CompetitorInfo, profile.competitors)
    _bulk(VirtualTeamMember, profile.team)


def _billing_rows(
    drafts: Sequence[Draft], products: dict[str, Product], months: Sequence[dt.date]
) -> Iterator[tuple[Any, ...]]:
    month_values = [connection.ops.adapt_datefield_value(m) for m in months]
    for draft in drafts:
        account_id = draft.account.pk
        for code, values in draft.series.items():
            product_id = products[code].pk
            for index, fen in enumerate(values):
                if fen > 0:
                    yield (account_id, month_values[index], product_id, Decimal(fen).scaleb(-2))


@contextlib.contextmanager
def _python_checks_skipped(cursor: Any) -> Iterator[None]:
    """On SQLite, Django evaluates the CHECK "month is a first day" by calling back into
    Python for every row, which makes the bulk insert three times slower. The generated
    months are first days by construction (checked above), so CHECKs are skipped for this
    insert only. Other backends check natively and fast."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        cursor.execute("PRAGMA ignore_check_constraints = OFF")


def insert_billing(
    drafts: Sequence[Draft], products: dict[str, Product], months: Sequence[dt.date]
) -> int:
    """The bills, through the DB-API directly: half a million rows are too many for the
    ORM's bulk_create to stay within the time budget. Django translates the %s
    placeholders for each backend (SQLite, PostgreSQL)."""
    if any(month.day != 1 for month in months):
        raise ValueError("billing months must be first days of months")
    meta = BillingLine._meta
    quote = connection.ops.quote_name
    column = {f.name: f.column for f in meta.concrete_fields}
    columns = ", ".join(quote(column[f]) for f in ("account", "month", "product", "amount"))
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from model meta
    count = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor, _python_checks_skipped(cursor):
        for row in _billing_rows(drafts, products, months):
            batch.append(row)
            if len(batch) >= BILLING_BATCH:
                count += _write_rows(cursor, insert, batch)
                batch = []
        count += _write_rows(cursor, insert, batch)
    return count


def _write_rows(cursor: Any, insert: str, rows: list[tuple[Any, ...]]) -> int:
    if not rows:
        return 0
    if connection.vendor == "sqlite":
        # sqlite3 runs one prepared statement over all the rows in C: the fastest way there.
        cursor.executemany(insert + VALUES_ROW, rows)
        return len(rows)
    # Elsewhere executemany may cost a round trip per row; one multi-row VALUES per
    # ROWS_PER_STATEMENT rows costs one per statement.
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        part = rows[start : start + ROWS_PER_STATEMENT]
        values = ", ".join([VALUES_ROW] * len(part))
        cursor.execute(insert + values, [value for row in part for value in row])
    return len(rows)


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours moment on `day` in the local time zone."""
    at = dt.time(rng.randint(9, 17), rng.randrange(60))
    return dt.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def _entry(obj: Model, account: Account, **fields: Any) -> AuditEntry:
    return AuditEntry(
        target_type=obj._meta.label_lower,
        target_id=str(obj.pk),
        target_repr=str(obj)[:255],
        account=account,
        **fields,
    )


def insert_audit(
    drafts: Sequence[Draft], profile: Profile, *, now: dt.datetime, rng: random.Random
) -> int:
    """Every account's timeline starts with its import; events, competitor entries and
    cancelled services add what the AM recorded over time."""
    today = timezone.localdate(now)
    # The files were taken over when billing history starts, before anything the AMs
    # recorded since, so each timeline begins with them.
    imported = _moment(today.replace(day=1) - dt.timedelta(days=2 * 365 + 20), rng)
    entries = [
        _entry(d.account, d.account, at=imported, actor_name=DEMO_ACTOR, action=AuditAction.CREATE,
               summary=CREATED_SUMMARY, changes={})
        for d in drafts
    ]  # fmt: skip
    for event in profile.events:
        day = min(event.occurred_on, today) - dt.timedelta(days=rng.randint(0, 20))
        entries.append(_by_owner(event, event.account, day, rng, AuditAction.CREATE,
                                 f"新增重大事项“{event.title}”"))  # fmt: skip
    for info in profile.competitors:
        day = today - dt.timedelta(days=rng.randint(20, 400))
        entries.append(_by_owner(info, info.account, day, rng, AuditAction.CREATE,
                                 f"新增竞争对手信息“{info}”"))  # fmt: skip
    for service in profile.services:
        if service.status == ServiceStatus.CANCELLED and service.cancelled_on:
            entry = _by_owner(service, service.account, service.cancelled_on, rng,
                              AuditAction.UPDATE, f"业务拆机：{service.product} {service.number}")  # fmt: skip
            entry.changes = {"status": ["active", "cancelled"],
                             "cancelled_on": [None, service.cancelled_on.isoformat()]}  # fmt: skip
            entries.append(entry)
    _bulk(AuditEntry, entries)
    return len(entries)


def _by_owner(
    obj: Model, account: Account, day: dt.date, rng: random.Random, action: str, summary: str
) -> AuditEntry:
    owner = account.owner
    return _entry(
        obj,
        account,
        at=_moment(day, rng),
        actor=owner,
        actor_name=owner.get_full_name() or owner.get_username(),
        action=action,
        summary=summary[:500],
        changes={},
    )


def delete_demo_data() -> None:
    """Remove the accounts and all that hangs off them, their bills and timeline, and the
    demo users. Children go first: services protect accounts, accounts protect parents."""
    AuditEntry.objects.filter(Q(account__isnull=False) | Q(actor_name=DEMO_ACTOR)).delete()
    BillingLine.objects.all().delete()
    VirtualTeamMember.objects.all().delete()
    ServiceInUse.objects.all().delete()
    Contact.objects.update(reports_to=None, site=None)
    Contact.objects.all().delete()
    Site.objects.all().delete()
    MajorEvent.objects.all().delete()
    CompetitorInfo.objects.all().delete()
    GradeChangeProposal.objects.all().delete()
    KeyAccountListEntry.objects.all().delete()
    Account.objects.update(parent=None, root=None)
    Account.objects.all().delete()
    demo_users = [
        pk
        for pk, username in User.objects.values_list("pk", "username")
        if is_demo_username(username)
    ]
    User.objects.filter(pk__in=demo_users).delete()
