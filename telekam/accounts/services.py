"""Writes to the account file. Every one checks the actor's rights, validates, writes in one
transaction and leaves an audit entry (the account's timeline)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _

from telekam.accounts import access
from telekam.accounts.errors import AccountErrorCode
from telekam.accounts.models import (
    Account,
    CompetitorInfo,
    Contact,
    MajorEvent,
    ServiceInUse,
    Site,
    VirtualTeamMember,
)
from telekam.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    diff,
    full_clean_or_raise,
    save_new,
    save_versioned,
    snapshot,
)
from telekam.org.models import Role, User

T = TypeVar("T", bound=models.Model)

# Fields a user may set through forms and the API. Segment, grade and star level are not
# here: they change through the yearly list and grade proposals (grading.py).
ACCOUNT_FIELDS = (
    "name",
    "short_name",
    "credit_code",
    "industry",
    "level",
    "status",
    "province",
    "city",
    "address",
    "phone",
    "email",
    "website",
    "employees",
    "annual_revenue_wan",
    "discount_pct",
    "strategy_notes",
    "financial_notes",
)
ACCOUNT_CONFIDENTIAL_FIELDS = ("discount_pct", "strategy_notes", "financial_notes")
ACCOUNT_ASSIGNMENT_FIELDS = ("owner", "group")
CONTACT_FIELDS = (
    "name",
    "title",
    "department",
    "decision_role",
    "layer",
    "site",
    "reports_to",
    "mobile",
    "phone",
    "email",
    "is_primary",
    "our_counterpart",
    "counterpart_note",
    "notes",
)
SITE_FIELDS = ("name", "kind", "address", "city", "telecom_office")
EVENT_FIELDS = ("kind", "occurred_on", "title", "description")
COMPETITOR_FIELDS = (
    "competitor",
    "other_name",
    "services",
    "monthly_price",
    "contract_end",
    "notes",
)
SERVICE_FIELDS = (
    "product",
    "number",
    "bandwidth_mbps",
    "a_end",
    "z_end",
    "site",
    "activated_on",
    "monthly_fee",
    "sla_level",
    "status",
    "cancelled_on",
)


def _require_edit(actor: User, account: Account) -> None:
    if not access.can_edit_account(actor, account):
        raise PermissionDenied(_("您无权修改该客户的档案。"))


def _assign(instance: models.Model, data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    allowed_set = set(allowed)
    unknown = sorted(set(data) - allowed_set)
    if unknown:
        raise ApplicationError(
            _("不可修改的字段：%(f)s") % {"f": ", ".join(unknown)},
            code=AccountErrorCode.UNKNOWN_FIELD,
            field=unknown[0],
        )
    for name, value in data.items():
        setattr(instance, name, "" if value is None and _is_text(instance, name) else value)
    return [name for name in allowed if name in data]


def _is_text(instance: models.Model, name: str) -> bool:
    field = instance._meta.get_field(name)
    return isinstance(field, models.CharField | models.TextField) and not field.null


def _check_same_account(account: Account, **related: Any) -> None:
    """Related rows picked on a form (site, reports_to) must belong to the same account."""
    for field, obj in related.items():
        if obj is not None and getattr(obj, "account_id", account.pk) != account.pk:
            raise ValidationFailed(
                _("所选记录不属于该客户。"), errors={field: [_("所选记录不属于该客户。")]}
            )


def _check_owner(owner: User, group_id: int) -> None:
    if owner.role != Role.ACCOUNT_MANAGER and owner.role != Role.GROUP_LEAD:
        raise ApplicationError(
            _("负责人须为客户经理或行业组长。"), code=AccountErrorCode.OWNER_NOT_AM, field="owner"
        )
    if owner.group_id != group_id:
        raise ApplicationError(
            _("客户经理须属于该客户的服务行业组。"),
            code=AccountErrorCode.OWNER_OTHER_GROUP,
            field="owner",
        )


# --- accounts ---------------------------------------------------------------------------


@transaction.atomic
def account_create(
    *, actor: User, data: Mapping[str, Any], owner: User, segment: str, code: str | None = None
) -> Account:
    """Open a new account file. The owner's group becomes the serving group."""
    if not access.can_create_account(actor):
        raise PermissionDenied(_("您无权新建客户。"))
    if actor.role == Role.ACCOUNT_MANAGER and owner.pk != actor.pk:
        raise PermissionDenied(_("客户经理只能新建自己负责的客户。"))
    if actor.role == Role.GROUP_LEAD and owner.group_id != actor.group_id:
        raise PermissionDenied(_("行业组长只能为本组客户经理新建客户。"))
    if owner.group_id is None:
        raise ApplicationError(_("负责人未分配行业组。"), code=AccountErrorCode.OWNER_OTHER_GROUP)
    _check_owner(owner, owner.group_id)
    account = Account(owner=owner, group_id=owner.group_id, segment=segment)
    _assign(account, data, ACCOUNT_FIELDS)
    account.code = code or _next_code(segment)
    save_new(account)
    Account.objects.filter(pk=account.pk).update(root=account.pk)
    account.root_id = account.pk
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=account,
        account=account,
        summary=_("新建客户档案“%(name)s”") % {"name": account.name},
        changes=diff({}, snapshot(account, ["name", "segment", "owner", *data.keys()])),
    )
    return account


def _field_label(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _next_code(segment: str) -> str:
    prefix = {"key": "KA", "commercial": "CA"}.get(segment, "CU")
    last = (
        Account.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{number:08d}"


@transaction.atomic
def account_update(
    *, actor: User, account: Account, expected_version: int, data: Mapping[str, Any]
) -> Account:
    _require_edit(actor, account)
    if not access.sees_confidential(actor):
        data = {k: v for k, v in data.items() if k not in ACCOUNT_CONFIDENTIAL_FIELDS}
    fields = [f for f in ACCOUNT_FIELDS if f in data]
    before = snapshot(account, fields)
    _assign(account, data, ACCOUNT_FIELDS)
    changes = diff(before, snapshot(account, fields))
    if not changes:
        return account
    save_versioned(account, expected_version=expected_version, fields=fields)
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=account,
        account=account,
        summary=_("修改客户信息：%(fields)s")
        % {"fields": "、".join(_field_label(Account, f) for f in changes)},
        changes=changes,
    )
    return account


@transaction.atomic
def account_assign(*, actor: User, account: Account, expected_version: int, owner: User) -> Account:
    """Hand the account to another AM. Leads within their group; the head anywhere."""
    if actor.role not in (Role.DEPARTMENT_HEAD, Role.ADMIN) and not (
        actor.role == Role.GROUP_LEAD
        and account.group_id == actor.group_id
        and owner.group_id == actor.group_id
    ):
        raise PermissionDenied(_("只有行业组长（本组内）或部门经理可以调整客户经理。"))
    if owner.group_id is None:
        raise ApplicationError(_("负责人未分配行业组。"), code=AccountErrorCode.OWNER_OTHER_GROUP)
    _check_owner(owner, owner.group_id)
    before = snapshot(account, ACCOUNT_ASSIGNMENT_FIELDS)
    account.owner = owner
    account.group_id = owner.group_id
    changes = diff(before, snapshot(account, ACCOUNT_ASSIGNMENT_FIELDS))
    if not changes:
        return account
    save_versioned(
        account, expected_version=expected_version, fields=list(ACCOUNT_ASSIGNMENT_FIELDS)
    )
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=account,
        account=account,
        summary=_("客户经理变更为 %(owner)s") % {"owner": owner},
        changes=changes,
    )
    return account


@transaction.atomic
def account_set_parent(
    *, actor: User, account: Account, expected_version: int, parent: Account | None
) -> Account:
    """Place the account under `parent` in a group customer's hierarchy (or detach it)."""
    _require_edit(actor, account)
    if parent is not None:
        if not access.can_view_account(actor, parent):
            raise PermissionDenied(_("您无权查看所选的上级单位。"))
        ancestor: Account | None = parent
        while ancestor is not None:
            if ancestor.pk == account.pk:
                raise ApplicationError(
                    _("不能把客户挂到它自己的下级单位之下。"),
                    code=AccountErrorCode.HIERARCHY_CYCLE,
                    field="parent",
                )
            ancestor = ancestor.parent
    before = snapshot(account, ["parent"])
    account.parent = parent
    account.root_id = parent.root_id if parent is not None else account.pk
    save_versioned(account, expected_version=expected_version, fields=["parent", "root"])
    # Everything below the account moves with it.
    frontier = [account.pk]
    while frontier:
        children = list(Account.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        if children:
            Account.objects.filter(pk__in=children).update(root_id=account.root_id)
        frontier = children
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=account,
        account=account,
        summary=(_("上级单位设为“%(p)s”") % {"p": parent} if parent else _("已脱离上级单位")),
        changes=diff(before, snapshot(account, ["parent"])),
    )
    return account


@transaction.atomic
def team_member_add(*, actor: User, account: Account, user: User, role: str) -> VirtualTeamMember:
    _require_edit(actor, account)
    member = VirtualTeamMember(account=account, user=user, role=role)
    save_new(member)
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=member,
        account=account,
        summary=_("虚拟团队加入 %(u)s（%(r)s）") % {"u": user, "r": member.get_role_display()},
    )
    return member


@transaction.atomic
def team_member_remove(*, actor: User, member: VirtualTeamMember) -> None:
    account = member.account
    _require_edit(actor, account)
    audit_entry_create(
        actor=actor,
        action=AuditAction.DELETE,
        target=member,
        account=account,
        summary=_("虚拟团队移除 %(u)s") % {"u": member.user},
    )
    member.delete()


# --- records that belong to an account -------------------------------------------------


def _record_fields(instance: models.Model) -> list[str]:
    return [
        f.name
        for f in instance._meta.concrete_fields
        if f.editable and f.name not in ("id", "account")
    ]


def _child_create(
    *,
    actor: User,
    account: Account,
    model: type[T],
    data: Mapping[str, Any],
    allowed: Iterable[str],
    **extra: Any,
) -> T:
    _require_edit(actor, account)
    instance = model(account=account, **extra)
    fields = _assign(instance, data, allowed)
    _check_same_account(
        account, **{f: getattr(instance, f) for f in ("site", "reports_to") if f in fields}
    )
    save_new(instance)
    label = model._meta.verbose_name
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=instance,
        account=account,
        summary=_("新增%(kind)s“%(name)s”") % {"kind": label, "name": instance},
        changes=diff({}, snapshot(instance, fields)),
    )
    return instance


def _child_update(
    *,
    actor: User,
    instance: Any,
    data: Mapping[str, Any],
    allowed: Iterable[str],
    expected_version: int | None,
) -> Any:
    account = instance.account
    _require_edit(actor, account)
    allowed = tuple(allowed)
    fields = [f for f in allowed if f in data]
    before = snapshot(instance, fields)
    _assign(instance, data, allowed)
    _check_same_account(
        account, **{f: getattr(instance, f) for f in ("site", "reports_to") if f in fields}
    )
    if "reports_to" in fields and instance.reports_to_id == instance.pk:
        raise ValidationFailed(
            _("联系人不能向自己汇报。"), errors={"reports_to": [_("联系人不能向自己汇报。")]}
        )
    changes = diff(before, snapshot(instance, fields))
    if not changes:
        return instance
    if expected_version is None:
        full_clean_or_raise(instance)
        instance.save(update_fields=fields)
    else:
        save_versioned(instance, expected_version=expected_version, fields=fields)
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=instance,
        account=account,
        summary=_("修改%(kind)s“%(name)s”")
        % {"kind": instance._meta.verbose_name, "name": instance},
        changes=changes,
    )
    return instance


def _child_delete(*, actor: User, instance: Any) -> None:
    account = instance.account
    _require_edit(actor, account)
    audit_entry_create(
        actor=actor,
        action=AuditAction.DELETE,
        target=instance,
        account=account,
        summary=_("删除%(kind)s“%(name)s”")
        % {"kind": instance._meta.verbose_name, "name": instance},
        changes={k: [v, None] for k, v in snapshot(instance, _record_fields(instance)).items()},
    )
    instance.delete()


@transaction.atomic
def contact_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> Contact:
    return _child_create(
        actor=actor, account=account, model=Contact, data=data, allowed=CONTACT_FIELDS
    )


@transaction.atomic
def contact_update(
    *, actor: User, contact: Contact, expected_version: int, data: Mapping[str, Any]
) -> Contact:
    return _child_update(
        actor=actor,
        instance=contact,
        data=data,
        allowed=CONTACT_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact) -> None:
    _child_delete(actor=actor, instance=contact)


@transaction.atomic
def site_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> Site:
    return _child_create(actor=actor, account=account, model=Site, data=data, allowed=SITE_FIELDS)


@transaction.atomic
def site_update(*, actor: User, site: Site, data: Mapping[str, Any]) -> Site:
    return _child_update(
        actor=actor, instance=site, data=data, allowed=SITE_FIELDS, expected_version=None
    )


@transaction.atomic
def event_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> MajorEvent:
    return _child_create(
        actor=actor,
        account=account,
        model=MajorEvent,
        data=data,
        allowed=EVENT_FIELDS,
        created_by=actor,
    )


@transaction.atomic
def event_update(*, actor: User, event: MajorEvent, data: Mapping[str, Any]) -> MajorEvent:
    return _child_update(
        actor=actor, instance=event, data=data, allowed=EVENT_FIELDS, expected_version=None
    )


def _require_confidential(actor: User) -> None:
    if not access.sees_confidential(actor):
        raise PermissionDenied(_("您无权查看或修改竞争对手与价格信息。"))


@transaction.atomic
def competitor_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> CompetitorInfo:
    _require_confidential(actor)
    return _child_create(
        actor=actor, account=account, model=CompetitorInfo, data=data, allowed=COMPETITOR_FIELDS
    )


@transaction.atomic
def competitor_update(
    *, actor: User, info: CompetitorInfo, data: Mapping[str, Any]
) -> CompetitorInfo:
    _require_confidential(actor)
    return _child_update(
        actor=actor, instance=info, data=data, allowed=COMPETITOR_FIELDS, expected_version=None
    )


@transaction.atomic
def service_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> ServiceInUse:
    return _child_create(
        actor=actor, account=account, model=ServiceInUse, data=data, allowed=SERVICE_FIELDS
    )


@transaction.atomic
def service_update(
    *, actor: User, service: ServiceInUse, expected_version: int, data: Mapping[str, Any]
) -> ServiceInUse:
    return _child_update(
        actor=actor,
        instance=service,
        data=data,
        allowed=SERVICE_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def record_delete(*, actor: User, instance: Site | MajorEvent | CompetitorInfo) -> None:
    if isinstance(instance, CompetitorInfo):
        _require_confidential(actor)
    _child_delete(actor=actor, instance=instance)
