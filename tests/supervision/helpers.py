"""Shared helpers for supervision tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bancheng.core import clock


def at(y: int, m: int, d: int, hour_utc: int = 2) -> datetime:
    """Set the clock to a UTC instant (02:00 UTC is 10:00 in Shanghai) and return it."""
    t = datetime(y, m, d, hour_utc, tzinfo=UTC)
    clock.set_clock(lambda: t)
    return t
