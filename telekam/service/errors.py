from __future__ import annotations

import enum


class ServiceErrorCode(enum.StrEnum):
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_SLA_CLASS = "unknown_sla_class"
    NO_POLICY = "no_policy"
    ACTIVATED_BEFORE_ACCEPTED = "activated_before_accepted"
    NEGATIVE_FEE = "negative_fee"
    DATE_OUT_OF_RANGE = "date_out_of_range"
