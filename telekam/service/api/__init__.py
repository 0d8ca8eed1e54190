"""JSON API of the service desk, the same operations as its pages: the request queue and
one request with its history, provisioning orders with their SLA standing, faults with
their clock, compensation forms, delivery, callbacks and the monthly SLA report; and the
SLA quick question.

Reads go through `telekam.service.selectors` (only what the user may see: anything else is
a 404, the same as a missing id); writes go through `telekam.service.services`, which check
the role allowed to take each step (403), the step itself (400 `bad_transition`) and the
version read (409).
"""

from __future__ import annotations

from ninja import Router

from telekam.service.api import aftercare, desk, faults, orders, reports, sla

router = Router(tags=["service"])
router.add_router("", sla.router)
router.add_router("", desk.router)
router.add_router("", orders.router)
router.add_router("", faults.router)
router.add_router("", aftercare.router)
router.add_router("", reports.router)

__all__ = ["router"]
