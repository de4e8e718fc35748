"""Insights figures for a viewer: trends, breakdowns, lights, assessment and rankings."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.core import clock, periods
from bancheng.core.config import Settings
from bancheng.insights import metrics
from bancheng.insights import repository as repo
from bancheng.insights.repository import reports, rollup
from bancheng.org.scope import Principal

DEFAULT_WEIGHTS: dict[str, float] = {
    "on_time": 0.3,
    "satisfaction": 0.3,
    "resolution": 0.2,
    "overdue": 0.2,  # scored as 1 - overdue rate
}
INVERTED = frozenset({"overdue", "bad_review", "return", "reopen", "transfer"})


def weights(settings: Settings) -> dict[str, float]:
    if not settings.insights_weights:
        return dict(DEFAULT_WEIGHTS)
    raw = json.loads(settings.insights_weights)
    known = {r.code for r in metrics.RATES}
    return {k: float(v) for k, v in raw.items() if k in known and float(v) > 0}


def _range(day_from: date | None, day_to: date | None) -> tuple[date, date]:
    to = day_to or clock.local_today()
    return day_from or (to - timedelta(days=29)), to


def trend(
    session: Session,
    principal: Principal,
    period: str,
    day_from: date | None = None,
    day_to: date | None = None,
) -> list[dict[str, Any]]:
    """Counters and rates per period (oldest first)."""
    f, t = _range(day_from, day_to)
    folded = metrics.fold(repo.rows(session, principal, (), f, t), period)
    return [
        {"period": k[0], "counts": c, "rates": metrics.rates(c)} for k, c in sorted(folded.items())
    ]


def _names(session: Session, dim: str, ids: set[Any]) -> dict[Any, str]:
    if dim in LABELS_ZH:
        return dict(LABELS_ZH[dim])
    clean = [i for i in ids if i is not None]
    if not clean:
        return {}
    return reports.names_of(session, dim, clean)


def breakdown(
    session: Session,
    principal: Principal,
    dim: str,
    day_from: date | None = None,
    day_to: date | None = None,
    rollup_tree: bool = True,
) -> list[dict[str, Any]]:
    """Counters and rates by one dimension over a date range, most cases first. Departments
    are rolled up through the tree (each includes the units below it) unless told not to."""
    if dim not in repo.DIMENSIONS:
        raise ValueError(dim)
    f, t = _range(day_from, day_to)
    folded = {
        k[1]: c
        for k, c in metrics.fold(repo.rows(session, principal, (dim,), f, t), None, (dim,)).items()
    }
    parents: dict[int, int | None] = {}
    if dim == "department" and rollup_tree:
        depts = reports.department_tree(session)
        paths = {d.id: d.path for d in depts}
        parents = {d.id: d.parent_id for d in depts}
        folded = metrics.roll_up_tree(folded, paths)  # type: ignore[arg-type]
    names = _names(session, dim, set(folded))
    out = []
    for key, counts in folded.items():
        item: dict[str, Any] = {
            "key": key,
            "name": names.get(key, "未填写" if key is None else str(key)),
            "counts": counts,
            "rates": metrics.rates(counts),
        }
        if parents:
            item["parent_id"] = parents.get(key)
        out.append(item)
    out.sort(key=lambda x: (-x["counts"]["registered"], str(x["key"])))
    return out


def lights(session: Session, principal: Principal) -> dict[str, int]:
    return repo.light_totals(session, principal)[0]


def overview(
    session: Session, principal: Principal, day_from: date | None, day_to: date | None
) -> dict[str, Any]:
    f, t = _range(day_from, day_to)
    folded = metrics.fold(repo.rows(session, principal, (), f, t), None)
    counts = folded.get((None,), metrics.zero())
    light_counts, lights_at = repo.light_totals(session, principal)
    state = repo.rollup_state(session)
    return {
        "date_from": f,
        "date_to": t,
        "counts": counts,
        "rates": metrics.rates(counts),
        "lights": light_counts,
        "lights_as_of": lights_at,
        "rollup_refreshed_at": state.refreshed_at if state else None,
        "definitions": [
            {
                "code": r.code,
                "label": r.label,
                "numerator": r.numerator,
                "denominator": r.denominator,
            }
            for r in metrics.RATES
        ],
        "pending": metrics.PENDING_RATES,
    }


def score(rates: dict[str, float | None], w: dict[str, float]) -> float | None:
    total = 0.0
    weight = 0.0
    for code, wt in w.items():
        value = rates.get(code)
        if value is None:
            continue
        total += wt * ((1 - value) if code in INVERTED else value)
        weight += wt
    return round(100 * total / weight, 2) if weight > 0 else None


def assessment(
    session: Session,
    principal: Principal,
    settings: Settings,
    unit: str,
    period: str,
    key: str | None = None,
    bottom: int = 3,
) -> dict[str, Any]:
    """Weighted score per department (own cases) or hall for a month or quarter, ranked,
    plus the units in the bottom ``bottom`` places this period and the one before."""
    if unit not in ("department", "hall") or period not in ("month", "quarter"):
        raise ValueError(unit)
    key = key or periods.period_key(clock.local_today(), period)
    prev = metrics.previous_period(key, period)
    start, _ = periods.period_bounds(prev, period)
    _, end = periods.period_bounds(key, period)
    w = weights(settings)
    folded = metrics.fold(repo.rows(session, principal, (unit,), start, end), period, (unit,))
    ranked: dict[str, list[dict[str, Any]]] = {}
    for p in (prev, key):
        items = []
        for (pk, ident), counts in folded.items():
            if pk != p or ident is None:
                continue
            r = metrics.rates(counts)
            items.append(
                {"key": ident, "score": score(r, w), "registered": counts["registered"], "rates": r}
            )
        items.sort(key=lambda x: (-(x["score"] if x["score"] is not None else -1), x["key"]))
        for i, item in enumerate(items, start=1):
            item["rank"] = i
        ranked[p] = items
    names = _names(session, unit, {i["key"] for i in ranked[key] + ranked[prev]})
    for items in ranked.values():
        for item in items:
            item["name"] = names.get(item["key"], str(item["key"]))

    def tail(items: list[dict[str, Any]]) -> set[Any]:
        scored = [i for i in items if i["score"] is not None]
        return {i["key"] for i in scored[-bottom:]} if bottom > 0 else set()

    both = tail(ranked[key]) & tail(ranked[prev])
    return {
        "unit": unit,
        "period": period,
        "key": key,
        "previous": prev,
        "weights": w,
        "ranking": ranked[key],
        "bottom_two_running": [i for i in ranked[key] if i["key"] in both],
    }


def day_runs(days: set[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    out: list[tuple[date, date]] = []
    for d in sorted(days):
        if out and d == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


ADVISORY_LOCK_KEY = 0x62616E63  # one refresher at a time across processes (PostgreSQL)


def refresh(
    session: Session,
    *,
    full: bool = False,
    recent: int | None = None,
    lights: tuple[datetime, repo.LightCounts] | bool = True,
) -> dict[str, Any]:
    """Bring the rollup up to date. The first time (or ``full``, or when the department
    tree changed the scopes' units) every day is rebuilt; otherwise only the days marked
    dirty since the last refresh, today, days the job missed, and the days of open cases
    that went overdue meanwhile — and, with ``recent``, the last ``recent`` days whatever was
    marked (the nightly safety net). Then the light snapshots: counted here (``lights=True``),
    counted beforehand by the caller in a read transaction (``(when, counts)``, so SQLite's
    write lock is not held while counting), or left as they are (``False``). Idempotent;
    PostgreSQL runs one refresher at a time (``ran: false`` when another holds the lock)."""
    if not rollup.try_refresh_lock(session, ADVISORY_LOCK_KEY):
        return {"ran": False}
    now = clock.now()
    today = clock.to_local(now).date()
    state = repo.rollup_state(session)
    wanted = repo.desired_scope_units(session)
    stored = repo.stored_scope_units(session)
    first = rollup.first_case_day(session)
    days: set[date] = set()
    if state is None or full or wanted != stored:
        mode = "full"
        repo.store_scope_units(session, wanted)
        rollup.claim_dirty_days(session)
        runs = [(first, today)] if first else []
    else:
        mode = "incremental"
        days = rollup.claim_dirty_days(session) | {today}
        d = state.complete_before
        while d < today:  # the job did not run over midnight
            days.add(d)
            d += timedelta(days=1)
        days |= rollup.turned_overdue_days(session, state.refreshed_at, now)
        if recent is not None and first is not None:
            d = max(first, today - timedelta(days=recent))
            while d < today:
                days.add(d)
                d += timedelta(days=1)
        runs = day_runs({d for d in days if d <= today})
    written = sum(rollup.rebuild_days(session, a, b) for a, b in runs)
    scopes = 0
    if lights is True or (mode == "full" and lights is not False):  # scopes may have changed
        scopes = repo.store_lights(session, repo.count_lights(session, now), now)
    elif isinstance(lights, tuple):
        scopes = repo.store_lights(session, lights[1], lights[0])
    rollup.mark_refreshed(session, today + timedelta(days=1), now, full=mode == "full")
    return {
        "ran": True,
        "mode": mode,
        "days": sum((b - a).days + 1 for a, b in runs),
        "rows": written,
        "light_scopes": scopes,
        "refreshed_at": now.isoformat(),
    }


def refresh_rollup(session: Session, days: int | None) -> dict[str, Any]:
    """``days=None``: a full rebuild; otherwise the usual refresh plus the last ``days``
    days whatever was marked (the nightly safety net). Under the refresher's lock."""
    if days is None:
        return refresh(session, full=True)
    return refresh(session, recent=days)
