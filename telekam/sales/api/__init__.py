"""JSON API of sales, the same operations as its pages: prospects and opportunities
through the stages, solutions and versioned quotes with discount approval, contracts and
their signature, the board, the forecast, win/loss, and project appraisal.

Reads go through `telekam.sales.selectors` (only what the user may see: anything else is
a 404, the same as a missing id); writes go through `telekam.sales.services`, which check
the right to take each step (403), the step itself (400) and the version read (409). The
service desk and operations do not use sales at all (403 everywhere).
"""

from __future__ import annotations

from ninja import Router

from telekam.sales.api import appraisal, deals, pipeline

router = Router(tags=["sales"])
router.add_router("", pipeline.router)
router.add_router("", deals.router)
router.add_router("", appraisal.router)

__all__ = ["router"]
