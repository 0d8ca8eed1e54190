"""The fault clock, outage minutes and monthly availability per circuit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from telekam.accounts.models import ServiceInUse
from telekam.service.models import FaultPolicy, FaultStatus, FaultTicket, Outage

CENT = Decimal("0.01")
PCT = Decimal("0.001")


@dataclasses.dataclass(frozen=True)
class FaultClock:
    """Where a fault stands against its targets at `now`. The restoration clock runs from
    the report, less every pause spent waiting on the customer."""

    response_due: dt.datetime
    restore_due: dt.datetime  # moves later while the clock is paused
    paused_minutes: int
    elapsed_minutes: int  # running time, pauses excluded
    response_late: bool
    restore_late: bool
    paused: bool
    minutes_left: int | None  # to the restoration target, while open and not paused


def fault_clock(*, fault: FaultTicket, now: dt.datetime) -> FaultClock:
    paused_seconds = fault.paused_seconds
    paused = fault.status == FaultStatus.WAITING_CUSTOMER and fault.paused_since is not None
    end = fault.restored_at or now
    if paused and fault.paused_since is not None:
        paused_seconds += max(0, int((end - fault.paused_since).total_seconds()))
    pause = dt.timedelta(seconds=paused_seconds)
    response_due = fault.reported_at + dt.timedelta(minutes=fault.response_minutes)
    restore_due = fault.reported_at + dt.timedelta(minutes=fault.restore_minutes) + pause
    elapsed = max(0, int((end - fault.reported_at - pause).total_seconds() // 60))
    responded = fault.responded_at or (now if fault.status == FaultStatus.OPEN else None)
    response_late = responded is not None and responded > response_due
    restore_late = elapsed > fault.restore_minutes
    open_ = fault.status != FaultStatus.RESTORED
    return FaultClock(
        response_due=response_due,
        restore_due=restore_due,
        paused_minutes=paused_seconds // 60,
        elapsed_minutes=elapsed,
        response_late=response_late,
        restore_late=restore_late,
        paused=paused,
        minutes_left=(fault.restore_minutes - elapsed) if open_ and not paused else None,
    )


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as an aware [start, end) in the operator's time zone."""
    tz = ZoneInfo(settings.TIME_ZONE)
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=tz),
        dt.datetime.combine(following, dt.time(), tzinfo=tz),
    )


@dataclasses.dataclass(frozen=True)
class CircuitMonth:
    """One circuit's month against its SLA level: minutes in service, outage minutes
    (less the time spent waiting on the customer), availability and the credit owed."""

    service: ServiceInUse
    sla_level: str
    sla_level_label: str
    minutes_in_month: int
    outage_minutes: int
    excluded_minutes: int
    availability_pct: Decimal
    target_pct: Decimal
    met: bool
    credit: Decimal


def availability_credit(
    *, availability: Decimal, policy: FaultPolicy, monthly_fee: Decimal
) -> Decimal:
    """Each started step (credit_step_pct percentage points) below the promise credits
    credit_per_step of the monthly fee, at most credit_cap of it."""
    shortfall = policy.availability_pct - availability
    if shortfall <= 0:
        return Decimal("0.00")
    steps = math.ceil(shortfall / policy.credit_step_pct)
    share = min(policy.credit_cap, policy.credit_per_step * steps)
    return (monthly_fee * share).quantize(CENT, rounding=ROUND_HALF_UP)


def _overlap_minutes(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds() / 60)


def circuits_month(*, services: Iterable[ServiceInUse], month: dt.date) -> list[CircuitMonth]:
    """Availability of each circuit in `month` (two queries for any number of circuits).
    A circuit activated or cancelled during the month counts only its days in service."""
    services = list(services)
    start, end = month_bounds(month)
    tz = start.tzinfo
    policies = {p.sla_level: p for p in FaultPolicy.objects.all()}
    labels = {level: str(policy) for level, policy in policies.items()}
    ids = {s.pk for s in services}
    in_month = Outage.objects.filter(started_at__lt=end, ended_at__gt=start)
    if len(ids) <= 1000:  # a report; beyond, read the month's outages whole (no huge IN list)
        in_month = in_month.filter(Q(service__in=ids))
    outages: dict[int, list[Outage]] = defaultdict(list)
    for outage in in_month:
        if outage.service_id in ids:
            outages[outage.service_id].append(outage)
    rows = []
    for service in services:
        in_from = max(start, dt.datetime.combine(service.activated_on, dt.time(), tzinfo=tz))
        in_to = end
        if service.cancelled_on:
            in_to = min(end, dt.datetime.combine(service.cancelled_on, dt.time(), tzinfo=tz))
        minutes = max(0, int((in_to - in_from).total_seconds() // 60))
        down = excluded = 0.0
        for outage in outages.get(service.pk, []):
            overlap = _overlap_minutes(outage.started_at, outage.ended_at, in_from, in_to)
            total = max(1.0, (outage.ended_at - outage.started_at).total_seconds() / 60)
            down += overlap
            excluded += outage.excluded_minutes * overlap / total
        counted = max(0.0, down - excluded)
        policy = policies[service.sla_level]
        availability = (
            (Decimal(1) - Decimal(counted) / Decimal(minutes)) * 100 if minutes else Decimal(100)
        ).quantize(PCT, rounding=ROUND_HALF_UP)
        credit = availability_credit(
            availability=availability, policy=policy, monthly_fee=service.monthly_fee
        )
        rows.append(
            CircuitMonth(
                service=service,
                sla_level=service.sla_level,
                sla_level_label=labels[service.sla_level],
                minutes_in_month=minutes,
                outage_minutes=round(down),
                excluded_minutes=round(excluded),
                availability_pct=availability,
                target_pct=policy.availability_pct,
                met=availability >= policy.availability_pct,
                credit=credit,
            )
        )
    return rows
