"""Response models built from rows."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def from_row(schema: type[M], row: object, **values: Any) -> M:
    """``schema`` from the attributes of ``row`` named as its fields, with ``values`` for
    the fields the row does not have under that name (computed, looked up, renamed). A
    field in ``values`` is not read from the row."""
    data = {
        name: getattr(row, name)
        for name in schema.model_fields
        if name not in values and hasattr(row, name)
    }
    return schema.model_validate(data | values)
