"""Grading (domain §1): segment and grade from billed spend, the yearly key-account list,
mid-year grade proposals and the boundary band between commercial A+ and crystal key
accounts ("chicken head, phoenix tail", 鸡头凤尾).

Services (writes) and selectors (reads) of grading live together in this module.

Rules, all driven by the configurable GradeBand scheme:
- A band covers min_monthly <= spend < max_monthly. The key-account threshold is the lowest
  key band's minimum (3,000 RMB by default): spend at or above it makes a key account
  graded by the key bands, below it a commercial account graded by the commercial bands.
- Spend below the lowest commercial band (a net credit, i.e. negative) grades as the lowest
  commercial band (D): a customer whose credits exceed its charges is still a customer of
  the lowest value, and one odd account must not stop the yearly list for everybody.
- Spend is the average over the billed months among the 12 months of the window (months
  without a bill do not count), as in `billing.services.account_spend_refresh`.
- An account with no bill in the window keeps its current segment and grade in a proposal
  (no evidence either way); the review page shows months_billed = 0.
- Accounts in the public or transient segment are only proposed for a change when their
  spend reaches the key-account threshold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from telekam.accounts import access
from telekam.accounts.errors import AccountErrorCode
from telekam.accounts.models import (
    Account,
    AccountStatus,
    DecisionStatus,
    GradeBand,
    GradeChangeProposal,
    KeyAccountList,
    KeyAccountListEntry,
    ListStatus,
    Segment,
)
from telekam.accounts.selectors import account_checked
from telekam.billing.selectors import spend_average, spend_totals
from telekam.billing.services import WINDOW_MONTHS, latest_billed_month, month_add
from telekam.core import clock
from telekam.core.errors import ApplicationError, ErrorCode, PermissionDenied, ValidationFailed
from telekam.core.models import AuditAction, AuditEntry
from telekam.core.services import audit_entry_create, full_clean_or_raise, versioned_update
from telekam.org.models import User

ZERO = Decimal("0.00")
# The segments whose accounts are on the yearly list.
LISTED_SEGMENTS = (Segment.KEY, Segment.COMMERCIAL)
# The boundary band: the top commercial grade and the bottom key grade (domain §1).
BOUNDARY_BANDS = ((Segment.COMMERCIAL, "a"), (Segment.KEY, "crystal"))
# For ordering moves that keep the same grade rank (only out-of-department moves).
SEGMENT_ORDER: dict[str, int] = {
    Segment.KEY: 4,
    Segment.COMMERCIAL: 3,
    Segment.PUBLIC: 2,
    Segment.TRANSIENT: 1,
}
BULK_BATCH = 1000
ID_CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit)


class GradingErrorCode(enum.StrEnum):
    """Grading codes not (yet) in AccountErrorCode."""

    PROPOSAL_PENDING_EXISTS = "proposal_pending_exists"
    LIST_YEAR_INVALID = "list_year_invalid"


# --- pure rules -------------------------------------------------------------------------


def key_threshold(bands: Iterable[GradeBand]) -> Decimal | None:
    """The lowest key band's minimum; None when the scheme has no key bands."""
    mins = [b.min_monthly for b in bands if b.segment == Segment.KEY]
    return min(mins) if mins else None


def grade_for_spend(spend: Decimal, bands: Sequence[GradeBand]) -> tuple[str, GradeBand | None]:
    """(segment, band) for an average monthly spend under the scheme `bands`.

    spend >= key threshold -> ("key", the key band containing it); otherwise
    ("commercial", the commercial band containing it). Spend below every commercial band
    (negative) -> the lowest commercial band. A gap in a misconfigured scheme gives None.
    """
    threshold = key_threshold(bands)
    if threshold is not None and spend >= threshold:
        key = [b for b in bands if b.segment == Segment.KEY]
        return Segment.KEY, next((b for b in key if b.contains(spend)), None)
    commercial = sorted(
        (b for b in bands if b.segment == Segment.COMMERCIAL), key=lambda b: b.min_monthly
    )
    band = next((b for b in commercial if b.contains(spend)), None)
    if band is None and commercial and spend < commercial[0].min_monthly:
        band = commercial[0]
    return Segment.COMMERCIAL, band


def _propose(
    *,
    segment: str,
    grade: GradeBand | None,
    avg: Decimal,
    months: int,
    bands: Sequence[GradeBand],
) -> tuple[str, GradeBand | None]:
    if months == 0:
        return segment, grade
    proposed_segment, proposed_grade = grade_for_spend(avg, bands)
    if segment not in LISTED_SEGMENTS and proposed_segment != Segment.KEY:
        return segment, grade
    return proposed_segment, proposed_grade


def _window(end: dt.date) -> tuple[dt.date, dt.date]:
    end = end.replace(day=1)
    return month_add(end, -(WINDOW_MONTHS - 1)), end


def _bands() -> list[GradeBand]:
    return list(GradeBand.objects.all())


def segment_label(segment: str) -> str:
    return str(Segment(segment).label) if segment in Segment.values else segment


def _grade_label(grade: GradeBand | None) -> str:
    return str(grade) if grade is not None else _("无等级")


def _move_summary(
    old_segment: str, old_grade: GradeBand | None, new_segment: str, new_grade: GradeBand | None
) -> str:
    if old_segment == new_segment:
        return _("等级 %(old)s → %(new)s") % {
            "old": _grade_label(old_grade),
            "new": _grade_label(new_grade),
        }
    return _("类别 %(old_s)s（%(old_g)s） → %(new_s)s（%(new_g)s）") % {
        "old_s": segment_label(old_segment),
        "old_g": _grade_label(old_grade),
        "new_s": segment_label(new_segment),
        "new_g": _grade_label(new_grade),
    }


def _move_changes(
    old_segment: str, old_grade: GradeBand | None, new_segment: str, new_grade: GradeBand | None
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    if old_segment != new_segment:
        changes["segment"] = [old_segment, new_segment]
    if (old_grade.pk if old_grade else None) != (new_grade.pk if new_grade else None):
        changes["grade"] = [
            str(old_grade) if old_grade else None,
            str(new_grade) if new_grade else None,
        ]
    old_star = old_grade.star_level if old_grade else 0
    new_star = new_grade.star_level if new_grade else 0
    if old_star != new_star:
        changes["star_level"] = [old_star, new_star]
    return changes


def _check_grade_segment(segment: str, grade: GradeBand | None) -> None:
    """The grade must be one of the segment's bands; a segment without bands has none."""
    if segment not in Segment.values:
        raise ValidationFailed(
            _("客户类别无效。"), errors={"segment": [_("客户类别无效：%(s)s") % {"s": segment}]}
        )
    if grade is not None and grade.segment != segment:
        raise ApplicationError(
            _("等级“%(grade)s”不属于%(segment)s。")
            % {"grade": grade, "segment": segment_label(segment)},
            code=AccountErrorCode.GRADE_SEGMENT_MISMATCH,
            field="grade",
        )
    if grade is None and GradeBand.objects.filter(segment=segment).exists():
        raise ApplicationError(
            _("%(segment)s须选择等级。") % {"segment": segment_label(segment)},
            code=AccountErrorCode.GRADE_SEGMENT_MISMATCH,
            field="grade",
        )


# --- one account ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AccountGradeProposal:
    """What billing says about an account's segment and grade (the account page)."""

    account: Account
    window_start: dt.date | None
    window_end: dt.date | None
    avg_monthly_spend: Decimal
    months_billed: int
    current_segment: str
    current_grade: GradeBand | None
    proposed_segment: str
    proposed_grade: GradeBand | None
    changes: bool


def account_grade_proposal(*, user: Any, account: Account) -> AccountGradeProposal:
    """Average spend over the last 12 billed months (the window ends at the latest billed
    month of the system) and the segment and grade it implies. NotFound if the user may not
    see the account. Four queries."""
    visible = account_checked(user=user, account=account)
    latest = latest_billed_month()
    bands = _bands()
    current_grade = next((b for b in bands if b.pk == visible.grade_id), None)
    if latest is None:
        start: dt.date | None = None
        end: dt.date | None = None
        total, months = ZERO, 0
    else:
        start, end = _window(latest)
        total, months = spend_totals(
            start=start, end=end, accounts=Account.objects.filter(pk=visible.pk)
        ).get(visible.pk, (ZERO, 0))
    avg = spend_average(total, months)
    segment, grade = _propose(
        segment=visible.segment, grade=current_grade, avg=avg, months=months, bands=bands
    )
    return AccountGradeProposal(
        account=visible,
        window_start=start,
        window_end=end,
        avg_monthly_spend=avg,
        months_billed=months,
        current_segment=visible.segment,
        current_grade=current_grade,
        proposed_segment=segment,
        proposed_grade=grade,
        changes=(segment, grade.pk if grade else None) != (visible.segment, visible.grade_id),
    )


# --- the yearly list --------------------------------------------------------------------


def _list_already_approved(key_list: KeyAccountList) -> ApplicationError:
    return ApplicationError(
        _("%(year)d 年度大客户名单已审批，不能再修改。") % {"year": key_list.year},
        code=AccountErrorCode.LIST_ALREADY_APPROVED,
    )


def _default_through(year: int, latest: dt.date) -> dt.date:
    return min(dt.date(year - 1, 12, 1), latest)


@transaction.atomic
def key_list_generate(*, actor: User, year: int, through: dt.date | None = None) -> KeyAccountList:
    """Build (or rebuild) the draft key-account list of `year`.

    The spend window is the 12 months ending at `through` (default: December of year-1,
    or the latest billed month if earlier). Every active key or commercial account gets one
    entry (commercial accounts too: they may be promoted) with its average spend, months
    billed, current and proposed segment and grade; the decision starts as the proposal.
    Rebuilding a draft replaces all its entries, decisions included; an approved list is
    fixed. A fixed number of queries plus one per 1,000 entries.
    """
    if not access.can_review_grades(actor):
        raise PermissionDenied(_("您无权生成大客户名单。"))
    this_year = clock.today().year
    if not 2000 <= year <= this_year + 1:
        raise ApplicationError(
            _("名单年度应在 2000 至 %(max)d 之间。") % {"max": this_year + 1},
            code=GradingErrorCode.LIST_YEAR_INVALID,
            field="year",
        )
    latest = latest_billed_month()
    if latest is None:
        raise ApplicationError(
            _("系统中还没有账单数据，请先导入账单。"), code=AccountErrorCode.NO_BILLING
        )
    start, end = _window(through or _default_through(year, latest))

    key_list = KeyAccountList.objects.select_for_update().filter(year=year).first()
    created = key_list is None
    if key_list is None:
        key_list = KeyAccountList(year=year, window_start=start, window_end=end, generated_by=actor)
        full_clean_or_raise(key_list, exclude=["year"])
        try:
            with transaction.atomic():
                key_list.save()
        except IntegrityError as exc:
            raise ApplicationError(
                _("其他用户正在生成该年度名单，请稍后刷新。"), code=ErrorCode.CONFLICT
            ) from exc
    else:
        if key_list.status == ListStatus.APPROVED:
            raise _list_already_approved(key_list)
        key_list.window_start, key_list.window_end, key_list.generated_by = start, end, actor
        full_clean_or_raise(key_list, exclude=["year"])
        versioned_update(
            key_list,
            expected_version=key_list.version,
            fields=["window_start", "window_end", "generated_by"],
        )
        KeyAccountListEntry.objects.filter(key_list=key_list).delete()

    eligible = Account.objects.filter(segment__in=LISTED_SEGMENTS, status=AccountStatus.ACTIVE)
    accounts = list(eligible.order_by("pk").values_list("pk", "segment", "grade_id"))
    totals = spend_totals(start=start, end=end, accounts=eligible)
    bands = _bands()
    by_id = {b.pk: b for b in bands}
    entries = []
    for account_id, segment, grade_id in accounts:
        total, months = totals.get(account_id, (ZERO, 0))
        avg = spend_average(total, months)
        new_segment, new_grade = _propose(
            segment=segment, grade=by_id.get(grade_id), avg=avg, months=months, bands=bands
        )
        new_grade_id = new_grade.pk if new_grade else None
        entries.append(
            KeyAccountListEntry(
                key_list=key_list,
                account_id=account_id,
                avg_monthly_spend=avg,
                months_billed=months,
                current_segment=segment,
                current_grade_id=grade_id,
                proposed_segment=new_segment,
                proposed_grade_id=new_grade_id,
                decided_segment=new_segment,
                decided_grade_id=new_grade_id,
            )
        )
    KeyAccountListEntry.objects.bulk_create(entries, batch_size=BULK_BATCH)
    proposed_key = sum(1 for e in entries if e.proposed_segment == Segment.KEY)
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        target=key_list,
        summary=_(
            "%(verb)s %(year)d 年度大客户名单：%(n)d 个客户参评，建议大客户 %(key)d 个"
            "（统计 %(start)s 至 %(end)s）"
        )
        % {
            "verb": _("生成") if created else _("重新生成"),
            "year": year,
            "n": len(entries),
            "key": proposed_key,
            "start": f"{start:%Y-%m}",
            "end": f"{end:%Y-%m}",
        },
        changes={"window": [f"{start:%Y-%m}", f"{end:%Y-%m}"], "entries": len(entries)},
    )
    return key_list


@transaction.atomic
def key_list_entry_decide(
    *,
    actor: User,
    entry: KeyAccountListEntry,
    segment: str,
    grade: GradeBand | None,
    note: str = "",
) -> KeyAccountListEntry:
    """Override the decision for one account on a draft list (reviewers: head, analyst,
    admin). Every decision bumps the list's version, so an approval carries the version
    read after the last decision it saw."""
    if not access.can_review_grades(actor):
        raise PermissionDenied(_("您无权审定大客户名单。"))
    key_list = KeyAccountList.objects.select_for_update().get(pk=entry.key_list_id)
    if key_list.status != ListStatus.DRAFT:
        raise _list_already_approved(key_list)
    _check_grade_segment(segment, grade)
    before = (entry.decided_segment, entry.decided_grade, entry.note)
    entry.decided_segment = segment
    entry.decided_grade = grade
    entry.note = (note or "").strip()
    full_clean_or_raise(entry)
    if before == (entry.decided_segment, entry.decided_grade, entry.note):
        return entry
    entry.save(update_fields=["decided_segment", "decided_grade", "note"])
    versioned_update(key_list, expected_version=key_list.version, fields=[])
    entry.key_list = key_list
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=key_list,
        summary=_("审定 %(year)d 年度名单：%(account)s %(move)s")
        % {
            "year": key_list.year,
            "account": entry.account,
            "move": _move_summary(before[0], before[1], segment, grade),
        },
        changes={
            "account": entry.account_id,
            **_move_changes(before[0], before[1], segment, grade),
            **({"note": [before[2], entry.note]} if before[2] != entry.note else {}),
        },
    )
    return entry


@transaction.atomic
def key_list_approve(
    *, actor: User, key_list: KeyAccountList, expected_version: int
) -> KeyAccountList:
    """The department head approves the list: every decision is applied to its account
    (segment, grade, star level, key_list_year), with one timeline entry per account whose
    segment or grade changed. Conflict if the list changed since `expected_version`."""
    if not access.can_approve_grades(actor):
        raise PermissionDenied(_("只有部门经理可以审批大客户名单。"))
    locked = KeyAccountList.objects.select_for_update().get(pk=key_list.pk)
    if locked.status == ListStatus.APPROVED:
        raise _list_already_approved(locked)
    now = clock.now()
    locked.status, locked.approved_by, locked.approved_at = ListStatus.APPROVED, actor, now
    versioned_update(
        locked, expected_version=expected_version, fields=["status", "approved_by", "approved_at"]
    )

    bands = {b.pk: b for b in _bands()}
    decided = {
        account_id: (segment, grade_id)
        for account_id, segment, grade_id in KeyAccountListEntry.objects.filter(
            key_list=locked
        ).values_list("account_id", "decided_segment", "decided_grade_id")
    }
    accounts = (
        Account.objects.select_for_update()
        .filter(pk__in=KeyAccountListEntry.objects.filter(key_list=locked).values("account_id"))
        .only("pk", "name", "segment", "grade", "star_level", "key_list_year")
        .order_by("pk")
    )
    actor_name = actor.get_full_name() or actor.get_username()
    # Accounts that take the same values are updated together: a handful of UPDATEs (one
    # per grade, segment and star combination) instead of a per-row CASE.
    targets: dict[tuple[str, int | None, int, int | None], list[int]] = defaultdict(list)
    audits: list[AuditEntry] = []
    for account in accounts:
        segment, grade_id = decided[account.pk]
        grade = bands.get(grade_id) if grade_id else None
        star = grade.star_level if grade else 0
        list_year = locked.year if segment == Segment.KEY else None
        old = (account.segment, account.grade_id, account.star_level, account.key_list_year)
        if old == (segment, grade_id, star, list_year):
            continue
        old_grade = bands.get(account.grade_id) if account.grade_id else None
        old_segment = account.segment
        targets[(segment, grade_id, star, list_year)].append(account.pk)
        if (old[0], old[1]) != (segment, grade_id):
            audits.append(
                AuditEntry(
                    at=now,
                    actor=actor,
                    actor_name=actor_name,
                    action=AuditAction.APPROVE,
                    target_type=Account._meta.label_lower,
                    target_id=str(account.pk),
                    target_repr=str(account)[:255],
                    account=account,
                    summary=(
                        _("年度大客户名单（%(year)d）：%(move)s")
                        % {
                            "year": locked.year,
                            "move": _move_summary(old_segment, old_grade, segment, grade),
                        }
                    )[:500],
                    changes=_move_changes(old_segment, old_grade, segment, grade),
                )
            )
    for (new_segment, new_grade_id, new_star, new_year), ids in targets.items():
        for i in range(0, len(ids), ID_CHUNK):
            Account.objects.filter(pk__in=ids[i : i + ID_CHUNK]).update(
                segment=new_segment,
                grade_id=new_grade_id,
                star_level=new_star,
                key_list_year=new_year,
                version=F("version") + 1,
                updated_at=now,
            )
    AuditEntry.objects.bulk_create(audits, batch_size=BULK_BATCH)
    audit_entry_create(
        actor=actor,
        action=AuditAction.APPROVE,
        target=locked,
        summary=_("审批 %(year)d 年度大客户名单：%(n)d 个客户，%(changed)d 个调整类别或等级")
        % {"year": locked.year, "n": len(decided), "changed": len(audits)},
        changes={"entries": len(decided), "changed": len(audits)},
    )
    for name in ("status", "approved_by", "approved_at", "version", "updated_at"):
        setattr(key_list, name, getattr(locked, name))
    return key_list


# --- reading the list -------------------------------------------------------------------


def _rank(grade: GradeBand | None) -> int:
    return grade.rank if grade is not None else 0


def classify_move(
    old_segment: str, old_grade: GradeBand | None, new_segment: str, new_grade: GradeBand | None
) -> str:
    """'unchanged', 'join' (into key), 'drop' (out of key), 'promotion' (higher grade
    rank) or 'demotion' (any other change)."""
    if (old_segment, old_grade.pk if old_grade else None) == (
        new_segment,
        new_grade.pk if new_grade else None,
    ):
        return "unchanged"
    if old_segment != Segment.KEY and new_segment == Segment.KEY:
        return "join"
    if old_segment == Segment.KEY and new_segment != Segment.KEY:
        return "drop"
    return "promotion" if _rank(new_grade) > _rank(old_grade) else "demotion"


@dataclasses.dataclass(frozen=True)
class ChangeCounts:
    promotions: int = 0
    demotions: int = 0
    joins: int = 0
    drops: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return self.promotions + self.demotions + self.joins + self.drops


@dataclasses.dataclass(frozen=True)
class GradeTotal:
    segment: str
    band: GradeBand | None  # None: accounts of the segment without a grade
    current: int
    proposed: int
    decided: int


@dataclasses.dataclass(frozen=True)
class KeyListSummary:
    key_list: KeyAccountList
    entries: int
    proposed: ChangeCounts  # proposal vs current
    decided: ChangeCounts  # decision vs current (what approval will do)
    overridden: int  # decisions that differ from the proposal
    no_billing: int  # entries with no bill in the window
    key_current: int
    key_proposed: int
    key_decided: int
    by_grade: tuple[GradeTotal, ...]  # by grade rank, highest first


_COUNT_FIELD = {
    "promotion": "promotions",
    "demotion": "demotions",
    "join": "joins",
    "drop": "drops",
    "unchanged": "unchanged",
}


def key_list_summary(key_list: KeyAccountList) -> KeyListSummary:
    """Counts for the review page header. Two queries."""
    bands = _bands()
    by_id = {b.pk: b for b in bands}
    rows = list(
        KeyAccountListEntry.objects.filter(key_list=key_list).values_list(
            "current_segment",
            "current_grade_id",
            "proposed_segment",
            "proposed_grade_id",
            "decided_segment",
            "decided_grade_id",
            "months_billed",
        )
    )
    proposed: Counter[str] = Counter()
    decided: Counter[str] = Counter()
    current_n: Counter[tuple[str, int | None]] = Counter()
    proposed_n: Counter[tuple[str, int | None]] = Counter()
    decided_n: Counter[tuple[str, int | None]] = Counter()
    overridden = no_billing = 0
    for cur_s, cur_g, pro_s, pro_g, dec_s, dec_g, months in rows:
        cur, pro, dec = by_id.get(cur_g), by_id.get(pro_g), by_id.get(dec_g)
        proposed[_COUNT_FIELD[classify_move(cur_s, cur, pro_s, pro)]] += 1
        decided[_COUNT_FIELD[classify_move(cur_s, cur, dec_s, dec)]] += 1
        overridden += (pro_s, pro_g) != (dec_s, dec_g)
        no_billing += months == 0
        current_n[(cur_s, cur_g)] += 1
        proposed_n[(pro_s, pro_g)] += 1
        decided_n[(dec_s, dec_g)] += 1
    keys: list[tuple[str, int | None]] = [
        (b.segment, b.pk) for b in sorted(bands, key=lambda b: -b.rank)
    ]
    keys += sorted(
        {k for k in (*current_n, *proposed_n, *decided_n) if k[1] is None},
        key=lambda k: -SEGMENT_ORDER.get(k[0], 0),
    )
    by_grade = tuple(
        GradeTotal(
            segment=segment,
            band=by_id.get(grade_id) if grade_id else None,
            current=current_n[(segment, grade_id)],
            proposed=proposed_n[(segment, grade_id)],
            decided=decided_n[(segment, grade_id)],
        )
        for segment, grade_id in keys
    )

    def in_key(counts: Counter[tuple[str, int | None]]) -> int:
        return sum(n for (segment, _g), n in counts.items() if segment == Segment.KEY)

    return KeyListSummary(
        key_list=key_list,
        entries=len(rows),
        proposed=ChangeCounts(**proposed),
        decided=ChangeCounts(**decided),
        overridden=overridden,
        no_billing=no_billing,
        key_current=in_key(current_n),
        key_proposed=in_key(proposed_n),
        key_decided=in_key(decided_n),
        by_grade=by_grade,
    )


@dataclasses.dataclass(frozen=True)
class KeyListEntryFilters:
    """Filters of the review page. `change` compares the decision with the current grade:
    '' (all), 'changes', 'unchanged', 'promotions', 'demotions', 'joins', 'drops',
    'overridden' (decision differs from the proposal), 'no_billing'."""

    change: str = ""
    grade: str = ""  # decided grade, band code
    segment: str = ""  # decided segment
    group: int | None = None
    q: str = ""  # account name or code


def key_list_entries(
    *, user: Any, key_list: KeyAccountList, filters: KeyListEntryFilters | None = None
) -> QuerySet[KeyAccountListEntry]:
    """The list's entries the user may see, filtered, by average spend (highest first),
    with accounts, owners, groups and grades joined: one query per page."""
    f = filters or KeyListEntryFilters()
    qs = KeyAccountListEntry.objects.filter(key_list=key_list).select_related(
        "account",
        "account__owner",
        "account__group",
        "current_grade",
        "proposed_grade",
        "decided_grade",
    )
    qs = access.filter_by_account_scope(qs, user)
    if f.change:
        qs = qs.annotate(
            _cur_gid=Coalesce("current_grade_id", Value(0)),
            _pro_gid=Coalesce("proposed_grade_id", Value(0)),
            _dec_gid=Coalesce("decided_grade_id", Value(0)),
            _cur_rank=Coalesce("current_grade__rank", Value(0)),
            _dec_rank=Coalesce("decided_grade__rank", Value(0)),
        )
        changed = ~Q(decided_segment=F("current_segment")) | ~Q(_dec_gid=F("_cur_gid"))
        join = ~Q(current_segment=Segment.KEY) & Q(decided_segment=Segment.KEY)
        drop = Q(current_segment=Segment.KEY) & ~Q(decided_segment=Segment.KEY)
        moved = changed & ~join & ~drop
        conditions = {
            "changes": changed,
            "unchanged": ~changed,
            "joins": join,
            "drops": drop,
            "promotions": moved & Q(_dec_rank__gt=F("_cur_rank")),
            "demotions": moved & ~Q(_dec_rank__gt=F("_cur_rank")),
            "overridden": ~Q(decided_segment=F("proposed_segment")) | ~Q(_dec_gid=F("_pro_gid")),
            "no_billing": Q(months_billed=0),
        }
        if f.change in conditions:
            qs = qs.filter(conditions[f.change])
    if f.grade:
        qs = qs.filter(decided_grade__code=f.grade)
    if f.segment:
        qs = qs.filter(decided_segment=f.segment)
    if f.group:
        qs = qs.filter(account__group_id=f.group)
    term = f.q.strip()
    if term:
        qs = qs.filter(Q(account__name__icontains=term) | Q(account__code__iexact=term))
    return qs.order_by("-avg_monthly_spend", "account_id")


# --- mid-year proposals -----------------------------------------------------------------


@transaction.atomic
def grade_proposal_create(
    *,
    actor: User,
    account: Account,
    to_segment: str,
    to_grade: GradeBand | None,
    reason: str,
) -> GradeChangeProposal:
    """Propose a mid-year change of segment or grade; the department head decides."""
    if not access.can_propose_grade(actor, account):
        raise PermissionDenied(_("您无权为该客户申请等级调整。"))
    # Locking the account queues concurrent proposals for it; from_* is read fresh.
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("grade").get(pk=account.pk)
    )
    _check_grade_segment(to_segment, to_grade)
    if (to_segment, to_grade.pk if to_grade else None) == (account.segment, account.grade_id):
        raise ApplicationError(
            _("申请的类别和等级与客户当前的相同。"), code=AccountErrorCode.PROPOSAL_NO_CHANGE
        )
    pending = ApplicationError(
        _("该客户已有待审批的等级调整申请，请等待审批或撤回后再提。"),
        code=GradingErrorCode.PROPOSAL_PENDING_EXISTS,
    )
    if GradeChangeProposal.objects.filter(account=account, status=DecisionStatus.PENDING).exists():
        raise pending
    proposal = GradeChangeProposal(
        account=account,
        from_segment=account.segment,
        from_grade_id=account.grade_id,
        to_segment=to_segment,
        to_grade=to_grade,
        reason=(reason or "").strip(),
        proposed_by=actor,
        proposed_at=clock.now(),
    )
    full_clean_or_raise(proposal, exclude=["account"])
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError as exc:  # a concurrent proposal for the same account won
        raise pending from exc
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=proposal,
        account=account,
        summary=_("申请调整%(move)s：%(reason)s")
        % {
            "move": _move_summary(account.segment, account.grade, to_segment, to_grade),
            "reason": proposal.reason,
        },
        changes=_move_changes(account.segment, account.grade, to_segment, to_grade),
    )
    return proposal


@transaction.atomic
def grade_proposal_decide(
    *,
    actor: User,
    proposal: GradeChangeProposal,
    approve: bool,
    note: str = "",
    expected_version: int,
) -> GradeChangeProposal:
    """The department head approves or rejects a pending proposal. On approval the account
    takes the proposed segment and grade (and the grade's star level). Conflict if the
    proposal changed since `expected_version`."""
    if not access.can_approve_grades(actor):
        raise PermissionDenied(_("只有部门经理可以审批等级调整申请。"))
    current = GradeChangeProposal.objects.select_for_update().get(pk=proposal.pk)
    if current.status != DecisionStatus.PENDING:
        raise ApplicationError(
            _("该申请已处理（%(status)s），不能重复审批。")
            % {"status": current.get_status_display()},
            code=AccountErrorCode.PROPOSAL_NOT_PENDING,
        )
    now = clock.now()
    current.status = DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED
    current.decided_by, current.decided_at = actor, now
    current.decision_note = (note or "").strip()
    full_clean_or_raise(current, exclude=["account"])
    versioned_update(
        current,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("grade")
        .get(pk=current.account_id)
    )
    to_grade = current.to_grade
    if approve:
        old_segment, old_grade = account.segment, account.grade
        account.segment, account.grade = current.to_segment, to_grade
        account.star_level = to_grade.star_level if to_grade else 0
        if current.to_segment == Segment.KEY:
            account.key_list_year = account.key_list_year or clock.today().year
        else:
            account.key_list_year = None
        fields = ["segment", "grade", "star_level", "key_list_year"]
        full_clean_or_raise(
            account, exclude=[f.name for f in Account._meta.fields if f.name not in fields]
        )
        versioned_update(account, expected_version=account.version, fields=fields)
        summary = _("等级调整获批：%(move)s") % {
            "move": _move_summary(old_segment, old_grade, current.to_segment, to_grade)
        }
        changes: dict[str, Any] = _move_changes(
            old_segment, old_grade, current.to_segment, to_grade
        )
    else:
        summary = _("等级调整申请被驳回：%(move)s") % {
            "move": _move_summary(
                current.from_segment, current.from_grade, current.to_segment, to_grade
            )
        }
        changes = {"status": [DecisionStatus.PENDING.value, DecisionStatus.REJECTED.value]}
    if current.decision_note:
        summary += _("（%(note)s）") % {"note": current.decision_note}
    audit_entry_create(
        actor=actor,
        action=AuditAction.APPROVE,
        target=current,
        account=account,
        summary=summary,
        changes=changes,
    )
    for name in ("status", "decided_by", "decided_at", "decision_note", "version", "updated_at"):
        setattr(proposal, name, getattr(current, name))
    return proposal


def grade_proposals_visible_to(
    *, user: Any, status: str | None = None
) -> QuerySet[GradeChangeProposal]:
    """Proposals the user may see: reviewers all, others those on accounts they can see;
    newest first."""
    qs = GradeChangeProposal.objects.select_related(
        "account", "from_grade", "to_grade", "proposed_by", "decided_by"
    )
    if not access.can_review_grades(user):
        qs = access.filter_by_account_scope(qs, user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-proposed_at", "-id")


# --- the boundary band (鸡头凤尾) --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BoundaryRow:
    account: Account
    spend_rank: int  # 1 = highest average spend in the band (ties share a rank)
    # The higher-spend account with the lowest discount / stars, when this account's is
    # higher than that (a policy inversion); None otherwise.
    discount_inverted_by: Account | None
    star_inverted_by: Account | None
    # The most this account could have without an inversion: the lowest discount / star
    # level among the accounts of strictly higher spend (None for the top).
    max_discount: Decimal | None
    max_star_level: int | None

    @property
    def inverted(self) -> bool:
        return self.discount_inverted_by is not None or self.star_inverted_by is not None

    @property
    def cross_segment(self) -> bool:
        """The inversion the sources name: a commercial account treated better than a key
        account that spends more."""
        return self.account.segment == Segment.COMMERCIAL and any(
            a is not None and a.segment == Segment.KEY
            for a in (self.discount_inverted_by, self.star_inverted_by)
        )


@dataclasses.dataclass(frozen=True)
class BoundaryBand:
    rows: tuple[BoundaryRow, ...]  # highest spend first
    commercial_count: int
    key_count: int
    inverted_count: int
    discount_inversions: int
    star_inversions: int
    cross_segment_inversions: int

    @property
    def inverted(self) -> tuple[BoundaryRow, ...]:
        return tuple(r for r in self.rows if r.inverted)


def boundary_band(*, user: Any) -> BoundaryBand:
    """Top commercial (A+) and bottom key (crystal) accounts the user may see, managed as
    one band: sorted by average spend, with policy inversions flagged. An account is
    inverted when an account of strictly higher spend has a strictly lower discount or a
    strictly lower star level. O(n log n): one sort, then running minima. One query.

    Shows discounts, so PermissionDenied for users who may not see confidential data.
    """
    if not access.sees_confidential(user):
        raise PermissionDenied(_("您无权查看客户折扣信息。"))
    in_band = Q()
    for segment, code in BOUNDARY_BANDS:
        in_band |= Q(segment=segment, grade__code=code, grade__segment=segment)
    accounts = list(
        access.accounts_visible_to(user)
        .filter(in_band, status=AccountStatus.ACTIVE)
        .select_related("grade", "owner", "group")
        .order_by("-avg_monthly_spend", "pk")
    )
    rows: list[BoundaryRow] = []
    # Running minima over the accounts of strictly higher spend than the current group.
    min_discount: Account | None = None
    min_star: Account | None = None
    i = 0
    while i < len(accounts):
        j = i
        while j < len(accounts) and accounts[j].avg_monthly_spend == accounts[i].avg_monthly_spend:
            j += 1
        group = accounts[i:j]
        for account in group:
            rows.append(
                BoundaryRow(
                    account=account,
                    spend_rank=i + 1,
                    discount_inverted_by=(
                        min_discount
                        if min_discount is not None
                        and min_discount.discount_pct < account.discount_pct
                        else None
                    ),
                    star_inverted_by=(
                        min_star
                        if min_star is not None and min_star.star_level < account.star_level
                        else None
                    ),
                    max_discount=min_discount.discount_pct if min_discount else None,
                    max_star_level=min_star.star_level if min_star else None,
                )
            )
        for account in group:  # strict "<": the first (highest-spend) minimum is kept
            if min_discount is None or account.discount_pct < min_discount.discount_pct:
                min_discount = account
            if min_star is None or account.star_level < min_star.star_level:
                min_star = account
        i = j
    return BoundaryBand(
        rows=tuple(rows),
        commercial_count=sum(1 for a in accounts if a.segment == Segment.COMMERCIAL),
        key_count=sum(1 for a in accounts if a.segment == Segment.KEY),
        inverted_count=sum(1 for r in rows if r.inverted),
        discount_inversions=sum(1 for r in rows if r.discount_inverted_by is not None),
        star_inversions=sum(1 for r in rows if r.star_inverted_by is not None),
        cross_segment_inversions=sum(1 for r in rows if r.cross_segment),
    )
