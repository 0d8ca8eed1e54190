from __future__ import annotations

import enum


class AccountErrorCode(enum.StrEnum):
    HIERARCHY_CYCLE = "hierarchy_cycle"
    OWNER_NOT_AM = "owner_not_account_manager"
    OWNER_OTHER_GROUP = "owner_other_group"
    UNKNOWN_FIELD = "unknown_field"
    LIST_ALREADY_APPROVED = "list_already_approved"
    NO_BILLING = "no_billing_data"
    PROPOSAL_NOT_PENDING = "proposal_not_pending"
    PROPOSAL_NO_CHANGE = "proposal_no_change"
    GRADE_SEGMENT_MISMATCH = "grade_segment_mismatch"
