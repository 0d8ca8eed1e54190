"""Records of an account file: contacts and services in use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from telekam.accounts import selectors, services
from telekam.accounts.api.common import (
    PhoneMixin,
    UserRef,
    confidential,
    user_by_ref,
    version_and_changes,
    visible_account,
)
from telekam.accounts.models import (
    Account,
    Contact,
    ContactLayer,
    DecisionRole,
    ServiceInUse,
    ServiceStatus,
    Site,
    SlaLevel,
)
from telekam.catalog.models import Product
from telekam.core.api import (
    Id,
    InputSchema,
    Page,
    PageQuery,
    actor,
    id_path,
    paginate,
    version_field,
)
from telekam.core.errors import NotFound, ValidationFailed

router = Router()


class ContactOut(Schema):
    id: int
    account: str
    name: str
    title: str
    department: str
    decision_role: str
    layer: str
    site: int | None
    reports_to: int | None
    mobile: str
    phone: str
    email: str
    is_primary: bool
    our_counterpart: UserRef | None
    counterpart_note: str
    notes: str
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_account(obj: Contact) -> str:
        return obj.account.code

    @staticmethod
    def resolve_site(obj: Contact) -> int | None:
        return obj.site_id

    @staticmethod
    def resolve_reports_to(obj: Contact) -> int | None:
        return obj.reports_to_id


class ServiceOut(Schema):
    id: int
    account: str
    product: str
    product_name: str
    number: str
    bandwidth_mbps: Decimal | None
    a_end: str
    z_end: str
    site: int | None
    activated_on: dt.date
    monthly_fee: Decimal | None = Field(
        None, description="Confidential: null for service desk and operations"
    )
    sla_level: str
    status: str
    cancelled_on: dt.date | None
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_account(obj: ServiceInUse) -> str:
        return obj.account.code

    @staticmethod
    def resolve_product(obj: ServiceInUse) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: ServiceInUse) -> str:
        return str(obj.product.display_name)

    @staticmethod
    def resolve_site(obj: ServiceInUse) -> int | None:
        return obj.site_id

    @staticmethod
    def resolve_monthly_fee(obj: ServiceInUse, context: Any) -> Decimal | None:
        return obj.monthly_fee if confidential(context) else None


class ContactFieldsIn(PhoneMixin):
    name: str | None = None
    title: str | None = None
    department: str | None = None
    decision_role: DecisionRole | None = None
    layer: ContactLayer | None = None
    site: Id | None = Field(None, description="Id of a site of the same account")
    reports_to: Id | None = Field(None, description="Id of a contact of the same account")
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool | None = None
    our_counterpart: Id | str | None = Field(None, description="Our colleague: user id or username")
    counterpart_note: str | None = None
    notes: str | None = None


class ContactCreateIn(ContactFieldsIn):
    name: str  # type: ignore[assignment]
    decision_role: DecisionRole  # type: ignore[assignment]


class ContactPatchIn(ContactFieldsIn):
    version: int = version_field()


class ServiceFieldsIn(InputSchema):
    product: str | None = Field(None, max_length=40, description="Product code from the catalogue")
    number: str | None = Field(None, description="Circuit, line or phone number")
    bandwidth_mbps: Decimal | None = None
    a_end: str | None = None
    z_end: str | None = None
    site: Id | None = Field(None, description="Id of a site of the same account")
    activated_on: dt.date | None = None
    monthly_fee: Decimal | None = None
    sla_level: SlaLevel | None = None
    status: ServiceStatus | None = None
    cancelled_on: dt.date | None = None


class ServiceCreateIn(ServiceFieldsIn):
    product: str = Field(..., max_length=40)  # type: ignore[assignment]
    number: str  # type: ignore[assignment]
    activated_on: dt.date  # type: ignore[assignment]
    monthly_fee: Decimal  # type: ignore[assignment]


class ServicePatchIn(ServiceFieldsIn):
    version: int = version_field()


class ServiceQuery(PageQuery):
    number: str = Field("", max_length=40, description="Exact circuit, line or phone number")
    status: ServiceStatus | None = None


def _record_refs(account: Account, data: dict[str, Any]) -> dict[str, Any]:
    """Replace ids in `data` (site, reports_to, our_counterpart, product) with rows.

    Sites and contacts are looked up within `account`: a row of another account is
    "unknown" here, so nothing about other customers leaks.
    """
    errors: dict[str, list[str]] = {}
    if data.get("site") is not None:
        data["site"] = Site.objects.filter(pk=data["site"], account=account).first()
        if data["site"] is None:
            errors["site"] = [_("该客户没有这个站点。")]
    if data.get("reports_to") is not None:
        data["reports_to"] = Contact.objects.filter(pk=data["reports_to"], account=account).first()
        if data["reports_to"] is None:
            errors["reports_to"] = [_("该客户没有这个联系人。")]
    if data.get("our_counterpart") is not None:
        try:
            data["our_counterpart"] = user_by_ref(data["our_counterpart"], field="our_counterpart")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if "product" in data:
        product = Product.objects.filter(code=data["product"] or "").first()
        if product is None:
            errors["product"] = [_("产品目录中没有编码“%(c)s”。") % {"c": data["product"]}]
        data["product"] = product
    if errors:
        raise ValidationFailed(_("引用的记录不存在。"), errors=errors)
    return data


# --- contacts -------------------------------------------------------------------------


@router.get("/accounts/{code}/contacts", response=Page[ContactOut], tags=["contacts"])
def contact_list(request: Any, code: str, query: Query[PageQuery]) -> dict[str, Any]:
    account = visible_account(request, code)
    rows = selectors.contacts_visible_to(user=actor(request), account=account)
    return paginate(
        rows.select_related("our_counterpart").order_by("layer", "-is_primary", "name", "pk"), query
    )


@router.post("/accounts/{code}/contacts", response={201: ContactOut}, tags=["contacts"])
def contact_create(request: Any, code: str, payload: ContactCreateIn) -> Contact:
    account = visible_account(request, code)
    data = _record_refs(account, payload.model_dump(exclude_unset=True))
    return services.contact_create(actor=actor(request), account=account, data=data)


def _visible_contact(request: Any, contact_id: int) -> Contact:
    contact = selectors.contacts_visible_to(user=actor(request)).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    return contact


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def contact_detail(request: Any, contact_id: int = id_path()) -> Contact:
    return _visible_contact(request, contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def contact_update(request: Any, payload: ContactPatchIn, contact_id: int = id_path()) -> Contact:
    contact = _visible_contact(request, contact_id)
    version, data = version_and_changes(payload)
    data = _record_refs(contact.account, data)
    return services.contact_update(
        actor=actor(request), contact=contact, expected_version=version, data=data
    )


@router.delete("/contacts/{contact_id}", response={204: None}, tags=["contacts"])
def contact_delete(request: Any, contact_id: int = id_path()) -> None:
    services.contact_delete(actor=actor(request), contact=_visible_contact(request, contact_id))


# --- services in use ------------------------------------------------------------------


@router.get("/accounts/{code}/services", response=Page[ServiceOut], tags=["services"])
def service_list(request: Any, code: str, query: Query[PageQuery]) -> dict[str, Any]:
    account = visible_account(request, code)
    rows = selectors.services_visible_to(user=actor(request), account=account)
    return paginate(rows.order_by("status", "product__sort_order", "number", "pk"), query)


@router.post("/accounts/{code}/services", response={201: ServiceOut}, tags=["services"])
def service_create(request: Any, code: str, payload: ServiceCreateIn) -> ServiceInUse:
    account = visible_account(request, code)
    data = _record_refs(account, payload.model_dump(exclude_unset=True))
    return services.service_create(actor=actor(request), account=account, data=data)


@router.get("/services", response=Page[ServiceOut], tags=["services"])
def service_find(request: Any, query: Query[ServiceQuery]) -> dict[str, Any]:
    """Services in use the user may see; `number` finds a circuit (how call records are matched)."""
    rows = selectors.services_visible_to(user=actor(request))
    if query.number:
        rows = rows.filter(number=query.number)
    if query.status:
        rows = rows.filter(status=query.status)
    return paginate(rows.order_by("number", "pk"), query)


def _visible_service(request: Any, service_id: int) -> ServiceInUse:
    service = selectors.services_visible_to(user=actor(request)).filter(pk=service_id).first()
    if service is None:
        raise NotFound()
    return service


@router.get("/services/{service_id}", response=ServiceOut, tags=["services"])
def service_detail(request: Any, service_id: int = id_path()) -> ServiceInUse:
    return _visible_service(request, service_id)


@router.patch("/services/{service_id}", response=ServiceOut, tags=["services"])
def service_update(
    request: Any, payload: ServicePatchIn, service_id: int = id_path()
) -> ServiceInUse:
    service = _visible_service(request, service_id)
    version, data = version_and_changes(payload)
    data = _record_refs(service.account, data)
    return services.service_update(
        actor=actor(request), service=service, expected_version=version, data=data
    )
