"""Column types and column shapes shared by the domains."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import MappedColumn, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store UTC-aware instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

# A key of a table that grows without bound: 64-bit on PostgreSQL, SQLite's INTEGER there
# (a 64-bit rowid already, and only INTEGER PRIMARY KEY counts up by itself).
BigId = BigInteger().with_variant(Integer, "sqlite")


def cascade_fk(target: str, **kw: Any) -> MappedColumn[Any]:
    """A key to the row this one belongs to, deleted with it (``ON DELETE CASCADE``); ``kw``
    as for ``mapped_column`` (``primary_key``, ``index``)."""
    return mapped_column(ForeignKey(target, ondelete="CASCADE"), **kw)
