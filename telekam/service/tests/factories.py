"""Builders for service-desk tests: they go through the services, so every row is one a
real user could have produced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from telekam.accounts.models import Account, ServiceInUse
from telekam.accounts.tests.factories import product
from telekam.core import clock
from telekam.org.models import User
from telekam.service import services
from telekam.service.models import FaultTicket, ProvisioningOrder


def aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def order(
    *,
    actor: User,
    account: Account,
    accepted_on: dt.date,
    code: str = "digital_circuit",
    sla_class: str = "normal",
    fee: str = "10000.00",
    **extra: Any,
) -> ProvisioningOrder:
    with clock.frozen(aware(max(accepted_on, clock.today()))):
        return services.order_accept(
            actor=actor,
            account=account,
            product=product(code),
            sla_class=sla_class,
            accepted_on=accepted_on,
            one_time_fee=Decimal(fee),
            **extra,
        )


def scan(name: str = "signed.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 signed", content_type="application/pdf")


def activate(
    *, actor: User, order: ProvisioningOrder, on: dt.date, circuit_number: str = ""
) -> ProvisioningOrder:
    """Operations activates `order` on `on` (the clock frozen at 10:00 that day)."""
    with clock.frozen(aware(on)):
        return services.order_activate(
            actor=actor,
            order=order,
            activated_on=on,
            expected_version=order.version,
            circuit_number=circuit_number or f"ACT-{order.pk:06d}",
        )


def fault(*, actor: User, service: ServiceInUse, at: dt.datetime, **extra: Any) -> FaultTicket:
    """A fault reported on `service` at `at` (the clock frozen then)."""
    with clock.frozen(at):
        return services.fault_report(
            actor=actor,
            account=service.account,
            service=service,
            subject=extra.pop("subject", "电路中断"),
            reported_at=at,
            **extra,
        )


def reload(instance: Any) -> Any:
    """A fresh copy of `instance` from the database."""
    return type(instance)._default_manager.get(pk=instance.pk)


def order_at(*, accepted_on: dt.date, hour: int = 9, **kwargs: Any) -> ProvisioningOrder:
    """`order(...)` with the clock frozen on the day of acceptance (`order` alone freezes
    it at today when the acceptance lies in the past), so the request's history and
    timeline carry the acceptance day."""
    with clock.frozen(aware(accepted_on, hour)):
        return order(accepted_on=accepted_on, **kwargs)
