"""Scheduled work of the sales part: renewal reminders before a contract ends.
Idempotent: each reminder is stored once per user and contract end date."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from telekam.core.services import notification_send
from telekam.sales.models import Contract, ContractStatus


@dataclasses.dataclass
class RenewalReport:
    contracts: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def renewal_reminders(*, today: dt.date) -> RenewalReport:
    """Warn the deal's AM (and the account's AM) once a signed contract is within its
    renewal lead time of its end."""
    report = RenewalReport()
    due = (
        Contract.objects.filter(status=ContractStatus.SIGNED, end_on__gte=today)
        .filter(end_on__lte=today + dt.timedelta(days=365))
        .select_related("account", "account__owner", "opportunity__owner")
    )
    for contract in due:
        if contract.end_on - dt.timedelta(days=contract.renewal_lead_days) > today:
            continue
        report.contracts += 1
        for user in {contract.opportunity.owner, contract.account.owner}:
            note = notification_send(
                user=user,
                key=f"contract-renewal:{contract.pk}:{contract.end_on}",
                title=_("合同即将到期，请安排续约：%(a)s") % {"a": contract.account.name},
                body=_("合同 %(n)s 于 %(d)s 到期。") % {"n": contract.number, "d": contract.end_on},
                url=reverse("sales:contract_detail", args=[contract.pk]),
            )
            report.notifications += note is not None
    return report
