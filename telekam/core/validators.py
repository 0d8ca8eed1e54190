"""Identity data validated on input: unified social credit codes and mainland phone numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this 31-character alphabet (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The 18th character for the first 17 of a unified social credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return value.strip().upper()


def validate_uscc(value: str) -> None:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。"),
            code="uscc_length",
            params={"n": len(code)},
        )
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有无效字符：%(chars)s（不使用 I、O、S、V、Z）。"),
            code="uscc_chars",
            params={"chars": "".join(sorted(set(bad)))},
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：应为 %(expected)s。"),
            code="uscc_check",
            params={"expected": expected},
        )


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0XX or 0XXX, subscriber 7-8 digits, optional extension.
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
_SERVICE = re.compile(r"^(400|800)-?\d{3}-?\d{4}$")


def normalize_phone(value: str) -> str:
    phone = re.sub(r"[\s()（）]", "", value.strip())
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :].lstrip("-")
    return phone


def validate_mainland_phone(value: str) -> None:
    phone = normalize_phone(value)
    if _MOBILE.match(phone) or _LANDLINE.match(phone) or _SERVICE.match(phone):
        return
    raise ValidationError(
        _("“%(value)s”不是有效的中国大陆电话号码（手机11位，或区号-座机号）。"),
        code="phone",
        params={"value": value},
    )


def validate_mobile(value: str) -> None:
    if not _MOBILE.match(normalize_phone(value)):
        raise ValidationError(
            _("“%(value)s”不是有效的手机号码（11位，以1开头）。"),
            code="mobile",
            params={"value": value},
        )
