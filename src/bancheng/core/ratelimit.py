"""Rate limits for the public (citizen) endpoints, kept in the database so that every
worker and instance counts together. Each hit is committed in its own short transaction:
a request that fails afterwards still counts (a wrong case-number guess, say)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Depends, Request
from sqlalchemy import Integer, String, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core import clock
from bancheng.core.db import Base
from bancheng.core.errors import RateLimited
from bancheng.core.types import UTCDateTime


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


@lru_cache(maxsize=4)
def _count_hit(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`` for
    ``dialect``, built once (its values are bound at each execution)."""
    mod: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = mod.insert(RateLimitCounter).values(
        bucket=bindparam("bucket", type_=String),
        key=bindparam("key", type_=String),
        window_start=bindparam("start", type_=UTCDateTime),
        hits=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=["bucket", "key", "window_start"],
        set_={"hits": RateLimitCounter.hits + 1},
    ).returning(RateLimitCounter.hits)


def hit(bucket: str, key: str, limit: int, window_seconds: int = 60) -> int:
    """Count one hit; raise ``RateLimited`` once ``limit`` hits fall in the current window."""
    from bancheng.core.deps import separate_transaction

    now = clock.now()
    start_ts = int(now.timestamp()) // window_seconds * window_seconds
    start = datetime.fromtimestamp(start_ts, tz=now.tzinfo)
    with separate_transaction() as session:
        conn = session.connection()  # Core on the connection: no ORM execution around it
        stmt = _count_hit(conn.dialect.name)
        count = int(
            conn.execute(stmt, {"bucket": bucket, "key": key[:128], "start": start}).scalar_one()
        )
        if count == 1 and start_ts % (window_seconds * 60) == 0:
            # Now and then, forget windows older than an hour.
            conn.execute(
                delete(RateLimitCounter).where(
                    RateLimitCounter.window_start
                    < datetime.fromtimestamp(start_ts - 3600, tz=now.tzinfo)
                )
            )
    if count > limit:
        from bancheng.core.observability import RATE_LIMIT_REFUSALS

        RATE_LIMIT_REFUSALS.labels(bucket).inc()
        raise RateLimited(
            "rate_limited",
            "操作过于频繁，请稍后再试",
            retry_after=window_seconds - (int(now.timestamp()) - start_ts),
        )
    return count


class RateLimit:
    """``Depends(RateLimit("public"))``: per client address."""

    def __init__(self, bucket: str, per_minute: int | None = None, setting: str = "") -> None:
        self.bucket = bucket
        self.per_minute = per_minute
        self.setting = setting or "public_rate_limit_per_minute"

    def __call__(self, request: Request) -> None:
        from bancheng.core.clientip import client_address
        from bancheng.core.config import get_settings

        limit = self.per_minute or int(getattr(get_settings(), self.setting))

        client = client_address(request) or "unknown"
        hit(self.bucket, client, limit)


def rate_limit(bucket: str, per_minute: int | None = None, setting: str = "") -> Any:
    return Depends(RateLimit(bucket, per_minute, setting))
