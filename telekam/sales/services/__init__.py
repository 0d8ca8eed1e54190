"""Writes of the sales part. Every function checks the actor's right (telekam.sales.access),
runs in one transaction, refuses a stale version and records the account's timeline."""

from telekam.sales.services.contracts import (
    TASK_TEMPLATES,
    appraisal_set,
    contract_draft_for,
    contract_sign,
    contract_update,
    project_create,
    project_plan_upload,
    task_update,
)
from telekam.sales.services.pipeline import (
    opportunity_create,
    opportunity_move,
    prospect_convert,
    prospect_create,
)
from telekam.sales.services.quotes import (
    attachment_add,
    limit_for,
    max_discount,
    quote_accept,
    quote_create,
    quote_decide,
    quote_submit,
    solution_create,
    solution_update,
)

__all__ = [
    "TASK_TEMPLATES",
    "appraisal_set",
    "attachment_add",
    "contract_draft_for",
    "contract_sign",
    "contract_update",
    "limit_for",
    "max_discount",
    "opportunity_create",
    "opportunity_move",
    "project_create",
    "project_plan_upload",
    "prospect_convert",
    "prospect_create",
    "quote_accept",
    "quote_create",
    "quote_decide",
    "quote_submit",
    "solution_create",
    "solution_update",
    "task_update",
]
