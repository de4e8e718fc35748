"""Reporting periods (day, ISO week, month, quarter, year): a date's period key and a
key's first and last day. The figures (``insights.metrics``) and the rankings of ratings
(``feedback.ratings``) count by them."""

from __future__ import annotations

from datetime import date, timedelta


def period_key(d: date, period: str) -> str:
    if period == "day":
        return d.isoformat()
    if period == "week":
        y, w, _ = d.isocalendar()
        return f"{y}-W{w:02d}"
    if period == "month":
        return f"{d.year}-{d.month:02d}"
    if period == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if period == "year":
        return str(d.year)
    raise ValueError(period)


def period_bounds(key: str, period: str) -> tuple[date, date]:
    """First and last day of a period key."""
    if period == "day":
        d = date.fromisoformat(key)
        return d, d
    if period == "week":
        y, w = key.split("-W")
        start = date.fromisocalendar(int(y), int(w), 1)
        return start, start + timedelta(days=6)
    if period == "month":
        yy, mm = (int(x) for x in key.split("-"))
        start = date(yy, mm, 1)
        nxt = date(yy + (mm == 12), mm % 12 + 1, 1)
        return start, nxt - timedelta(days=1)
    if period == "quarter":
        y, q = key.split("-Q")
        m = (int(q) - 1) * 3 + 1
        start = date(int(y), m, 1)
        end_m = m + 3
        nxt = date(int(y) + (end_m > 12), (end_m - 1) % 12 + 1, 1)
        return start, nxt - timedelta(days=1)
    if period == "year":
        return date(int(key), 1, 1), date(int(key), 12, 31)
    raise ValueError(period)
