"""JSON API of the account file: accounts, contacts, services in use, and grading.

Reads go through `selectors` (only what the user may see; an account it may not see is a
404, the same as a missing one); writes go through `services` and `grading` (which check
edit rights and answer 403, 409 or 422). Confidential fields come back null for users
without the right to see them (`access.sees_confidential`).
"""

from __future__ import annotations

from ninja import Router

from telekam.accounts.api import accounts, grading, records

router = Router()
router.add_router("", accounts.router)
router.add_router("", records.router)
router.add_router("", grading.router)
