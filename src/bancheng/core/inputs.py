"""What every request's input must be, whatever the endpoint: checked once, on the values
FastAPI has parsed (path, query, header, cookie, form and body parameters, and the models
a dependency built from the query string), before the endpoint runs.

- integers within signed 64 bits (SQLite's INTEGER, PostgreSQL's bigint): a bigger one
  cannot be stored or even compared in SQLite;
- numbers finite (no NaN or infinity: JSON has no spelling for them in the answer);
- text without NUL (PostgreSQL refuses it in text), other control characters but tab and
  line breaks, or U+FFFE/U+FFFF (XML refuses them, so a report quoting one would fail),
  and without lone UTF-16 surrogates (they cannot be encoded as UTF-8);
- dates and instants between 1900 and 2199 (a year-9999 date cannot take a day or a
  time zone's offset without overflowing; nothing in a case happens outside that span).

A refusal is a 422 with a stable code and the offending field's location.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from pydantic import BaseModel

from bancheng.core.errors import Malformed

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
FIRST_YEAR = 1900
LAST_YEAR = 2199
# A calendar month, ``YYYY-MM`` within the years above (for ``Query(pattern=...)``).
MONTH_PATTERN = r"^(19[0-9][0-9]|2[01][0-9][0-9])-(0[1-9]|1[0-2])$"
# A month or a quarter, ``YYYY-MM`` or ``YYYY-Qn`` (ASCII digits: ``\d`` takes any script's).
PERIOD_KEY_PATTERN = r"^(19[0-9][0-9]|2[01][0-9][0-9])-(0[1-9]|1[0-2]|Q[1-4])$"

# NUL (PostgreSQL refuses it), the other C0 controls but tab, newline and carriage return
# and U+FFFE/U+FFFF (XML refuses them: a stored one would break every .docx and .xlsx
# that quotes it), lone surrogates (not encodable as UTF-8).
_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def without_forbidden_characters(text: str) -> str:
    """The text less the characters the rules refuse: for text that arrives in a file (an
    import), where a stray control character is cleaned rather than a reason to refuse."""
    return _FORBIDDEN_TEXT.sub("", text)


def check_inputs(values: dict[str, Any]) -> None:
    """Raise ``Malformed`` at the first value outside the rules above."""
    for name, value in values.items():
        _check(value, (name,), 0)


def _refuse(code: str, detail: str, loc: tuple[Any, ...]) -> None:
    field = ".".join(str(part) for part in loc)
    raise Malformed(code, detail, field=field, errors=[{"loc": list(loc), "type": code}])


def _check(value: Any, loc: tuple[Any, ...], depth: int) -> None:
    if depth > 32:  # a deeply nested JSON document is refused by its shape elsewhere
        return
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            _refuse("request.integer_out_of_range", "数值超出允许范围", loc)
    elif isinstance(value, float):
        if not math.isfinite(value):
            _refuse("request.number_not_finite", "数值不正确", loc)
    elif isinstance(value, str):
        if _FORBIDDEN_TEXT.search(value):
            _refuse("request.invalid_character", "内容中含有不允许的字符", loc)
    elif isinstance(value, date):  # datetime too
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            _refuse("request.date_out_of_range", "日期超出允许范围", loc)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _check(getattr(value, name, None), (*loc, name), depth + 1)
        for name, extra in (value.model_extra or {}).items():
            _check(extra, (*loc, name), depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, (*loc, key), depth + 1)
            _check(item, (*loc, key), depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            _check(item, (*loc, i), depth + 1)
