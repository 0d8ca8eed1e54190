from __future__ import annotations

import enum


class ServiceErrorCode(enum.StrEnum):
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_SLA_CLASS = "unknown_sla_class"
    NO_POLICY = "no_policy"
    ACTIVATED_BEFORE_ACCEPTED = "activated_before_accepted"
    NEGATIVE_FEE = "negative_fee"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    WRONG_KIND = "wrong_kind"
    BAD_TRANSITION = "bad_transition"
    NOT_LATE = "not_late"
    SIGNATURE_MISSING = "signature_missing"
    SERVICE_NOT_ACTIVE = "service_not_active"
    BEFORE_EVENT = "before_event"
    IN_FUTURE = "in_future"
