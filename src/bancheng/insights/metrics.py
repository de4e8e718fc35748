"""Rate definitions (docs/metrics.md) and folding daily counters into periods."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bancheng.core.periods import period_bounds, period_key
from bancheng.insights.models import COUNTERS

PERIODS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Rate:
    code: str
    label: str
    numerator: str
    denominator: str  # a counter, or "registered-cannot_by_policy"


RATES: tuple[Rate, ...] = (
    Rate("on_spot", "现场办结率", "resolved_on_spot", "registered"),
    Rate("on_time", "按时办结率", "on_time", "resolved_with_deadline"),
    Rate("response", "响应率", "responded", "registered"),
    Rate("resolution", "解决率", "solved", "registered-cannot_by_policy"),
    Rate("satisfaction", "满意率", "satisfied", "rated"),
    Rate("bad_review", "差评率", "bad", "rated"),
    Rate("overdue", "超期率", "overdue", "registered"),
    Rate("transfer", "转办率", "transferred", "registered"),
    Rate("return", "退回率", "returned", "registered"),
    Rate("reopen", "重办率", "reopened", "resolved"),
    Rate("rectification", "整改率", "rectified", "rectify_due"),
    Rate("callback", "回访率", "called_back", "callback_due"),
)
# Rates still waiting for data another issue adds (none at present).
PENDING_RATES: dict[str, str] = {}


def _den(counts: dict[str, int], rate: Rate) -> int:
    if rate.denominator == "registered-cannot_by_policy":
        return counts["registered"] - counts["cannot_by_policy"]
    return counts[rate.denominator]


def rates(counts: dict[str, int]) -> dict[str, float | None]:
    """Each rate as a fraction in [0, 1]; ``None`` when its denominator is zero."""
    out: dict[str, float | None] = {}
    for r in RATES:
        den = _den(counts, r)
        out[r.code] = round(counts[r.numerator] / den, 6) if den > 0 else None
    for code in PENDING_RATES:
        out[code] = None
    return out


def previous_period(key: str, period: str) -> str:
    start, _ = period_bounds(key, period)
    return period_key(start - timedelta(days=1), period)


def zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def add(into: dict[str, int], row: dict[str, Any]) -> None:
    for c in COUNTERS:
        into[c] += int(row[c])


def fold(
    rows: list[dict[str, Any]], period: str | None, dims: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Sum counters by (period key, *dims); ``period=None`` sums over the whole range."""
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(zero)
    for r in rows:
        key = (period_key(r["day"], period) if period else None, *(r[d] for d in dims))
        add(out[key], r)
    return dict(out)


def roll_up_tree(
    by_dept: dict[int, dict[str, int]], paths: dict[int, str]
) -> dict[int, dict[str, int]]:
    """Each department's counters plus those of every department below it (via path)."""
    out: dict[int, dict[str, int]] = defaultdict(zero)
    for dept_id, counts in by_dept.items():
        path = paths.get(dept_id, f"/{dept_id}/")
        for ancestor in {int(x) for x in path.strip("/").split("/") if x} | {dept_id}:
            add(out[ancestor], counts)
    return dict(out)
