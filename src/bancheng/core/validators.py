"""Checks for Chinese identifiers: mainland phone numbers, GB 11643 ID-card numbers,
GB 32100 unified social credit codes; the masks used in lists, exports and logs; and the
text of an uploaded CSV file (UTF-8 or GBK)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bancheng.core.errors import Invalid

# re.ASCII: ``\d`` would take any script's digits ("١٣٨…"), and they are not a number.
_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$", re.ASCII)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORM = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", re.ASCII)


def normalize_phone(raw: str) -> str:
    """Return the phone as bare digits (mobile ``13812345678`` or landline ``01012345678``).

    Raises ``Invalid('reporter.phone_invalid')`` when it is not a mainland number.
    """
    s = re.sub(r"[\s\-()（）]", "", raw or "")
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if _MOBILE.match(s) or _LANDLINE.match(s):
        return s
    raise Invalid("reporter.phone_invalid", "不是有效的大陆手机号或固定电话号码")


def _folded(raw: str) -> str:
    """An identifier as it is checked and kept: without surrounding blanks, in capitals."""
    return (raw or "").strip().upper()


def _normalized(raw: str, valid: Callable[[str], bool], code: str, message: str) -> str:
    s = _folded(raw)
    if not valid(s):
        raise Invalid(code, message)
    return s


def id_number_is_valid(raw: str) -> bool:
    s = _folded(raw)
    if len(s) != 18 or not (s[:17].isascii() and s[:17].isdigit()):  # "²".isdigit()
        return False
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return id_check_char(s[:17]) == s[17]


def normalize_id_number(raw: str) -> str:
    return _normalized(
        raw, id_number_is_valid, "reporter.id_number_invalid", "身份证号码校验失败(GB 11643)"
    )


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def credit_code_is_valid(raw: str) -> bool:
    s = _folded(raw)
    if not _USCC_FORM.match(s):
        return False
    return uscc_check_char(s[:17]) == s[17]


def normalize_credit_code(raw: str) -> str:
    return _normalized(
        raw,
        credit_code_is_valid,
        "reporter.credit_code_invalid",
        "统一社会信用代码校验失败(GB 32100)",
    )


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return f"{phone[:4]}****{phone[-4:]}" if len(phone) > 8 else "****"


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧**娜. Enterprise names are not personal data."""
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def decode_text_file(data: bytes, code: str, message: str) -> str:
    """An uploaded text file's content: UTF-8 (with or without a BOM), else GB18030 (which
    reads GBK, as Excel in Chinese saves CSV); ``Invalid(code, message)`` when neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(code, message)
