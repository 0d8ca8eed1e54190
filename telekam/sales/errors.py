from __future__ import annotations

import enum


class SalesErrorCode(enum.StrEnum):
    ALREADY_CONVERTED = "already_converted"
    CLOSED = "closed"
    BAD_STAGE = "bad_stage"
    NO_ACCEPTED_QUOTE = "no_accepted_quote"
    LOST_NEEDS_REASON = "lost_needs_reason"
    BAD_TRANSITION = "bad_transition"
    OVER_ANY_LIMIT = "over_any_limit"
    OWN_APPROVAL = "own_approval"
    OVER_OWN_LIMIT = "over_own_limit"
    NO_LINES = "no_lines"
    PROSPECT_NOT_CONVERTED = "prospect_not_converted"
