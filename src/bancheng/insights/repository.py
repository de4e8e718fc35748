"""The insights queries. Live figures go through ``cases.repository.scope_clause``; the
rollup (``case_daily_stats``) serves viewers whose scope is everything, for the days it is
complete, and live SQL covers the rest (see docs/metrics.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.cases.repository import scope_clause
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.insights.models import COUNTERS, CaseDailyStat, RollupState
from bancheng.org.scope import Principal

DIMENSIONS = ("department", "hall", "channel", "kind", "blocker_type", "matter")
_CASE_DIM = {
    "department": Case.current_department_id,
    "hall": Case.hall_id,
    "channel": Case.channel,
    "kind": Case.kind,
    "blocker_type": Case.blocker_type,
    "matter": Case.matter_id,
}
INT_DIMS = frozenset({"department", "hall", "matter"})
GOOD_RATINGS = ("very_satisfied", "satisfied", "basically_satisfied")
BAD_RATINGS = ("dissatisfied", "very_dissatisfied")
OPEN_STATES = ("registered", "dispatched", "accepted", "in_progress", "suspended", "reopened")


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI)


def local_day(session: Session, column: Any) -> Any:
    """The Asia/Shanghai calendar date of a UTC instant, in SQL (no DST in China)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _n(cond: ColumnElement[bool]) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _feedback_counters() -> dict[str, Any]:
    """Rectification and callback counters from the citizen side's tables (issue 6): a
    rectification overturned on appeal is not due; a callback counts when the reporter was
    reached (or reached and refused to talk)."""
    try:
        from bancheng.feedback.models import CallbackTask, Rectification
    except ImportError:  # the citizen side is not installed: nothing is due
        return {c: func.sum(0) for c in ("rectify_due", "rectified", "callback_due", "called_back")}

    def has(model: Any, *conds: Any) -> ColumnElement[bool]:
        return exists().where(model.case_id == Case.id, *conds)

    return {
        "rectify_due": _n(has(Rectification, Rectification.status != "overturned")),
        "rectified": _n(has(Rectification, Rectification.status == "done")),
        "callback_due": _n(has(CallbackTask)),
        "called_back": _n(has(CallbackTask, CallbackTask.status.in_(("reached", "refused")))),
    }


def counter_columns(now: datetime) -> list[Any]:
    """One aggregate per counter, in ``COUNTERS`` order (definitions: docs/metrics.md)."""
    responded_at = func.coalesce(Case.accepted_at, Case.resolved_at)
    cols = {
        "registered": func.count(),
        "resolved": _n(Case.resolved_at.is_not(None)),
        "resolved_on_spot": _n(Case.resolved_on_spot.is_(True)),
        "cannot_by_policy": _n(Case.outcome == "cannot_by_policy"),
        "solved": _n(
            and_(
                Case.resolved_at.is_not(None),
                or_(Case.outcome.is_(None), Case.outcome != "cannot_by_policy"),
            )
        ),
        "resolved_with_deadline": _n(and_(Case.resolved_at.is_not(None), Case.due_at.is_not(None))),
        "on_time": _n(and_(Case.resolved_at.is_not(None), Case.resolved_at <= Case.due_at)),
        "responded": _n(
            and_(
                responded_at.is_not(None),
                or_(Case.response_due_at.is_(None), responded_at <= Case.response_due_at),
            )
        ),
        "overdue": _n(
            or_(
                Case.resolved_at > Case.due_at,
                and_(Case.resolved_at.is_(None), Case.state.in_(OPEN_STATES), Case.due_at <= now),
            )
        ),
        "rated": _n(Case.rating.is_not(None)),
        "satisfied": _n(Case.rating.in_(GOOD_RATINGS)),
        "bad": _n(Case.rating.in_(BAD_RATINGS)),
        "transferred": _n(Case.transfer_count > 0),
        "returned": _n(Case.return_count > 0),
        "reopened": _n(Case.reopen_count > 0),
        **_feedback_counters(),
    }
    return [cols[c].label(c) for c in COUNTERS]


def _row(dims: tuple[str, ...], r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"day": as_date(r[0])}
    for i, d in enumerate(dims, start=1):
        out[d] = r[i]
    for i, c in enumerate(COUNTERS, start=1 + len(dims)):
        out[c] = int(r[i] or 0)
    return out


def live_rows(
    session: Session,
    principal: Principal | None,
    dims: tuple[str, ...],
    day_from: date,
    day_to: date,
    extra: list[ColumnElement[bool]] | None = None,
) -> list[dict[str, Any]]:
    """Counters by (local registration day, *dims) straight from ``cases``, in scope."""
    day = local_day(session, Case.registered_at)
    keys = [day, *(_CASE_DIM[d] for d in dims)]
    conds = [
        Case.registered_at >= day_start(day_from),
        Case.registered_at < day_start(day_to + timedelta(days=1)),
        *(extra or []),
    ]
    if principal is not None:
        conds.append(scope_clause(principal))
    stmt = select(*keys, *counter_columns(clock.now())).where(*conds).group_by(*keys)
    return [_row(dims, r) for r in session.execute(stmt)]


def rollup_rows(
    session: Session, dims: tuple[str, ...], day_from: date, day_to: date
) -> list[dict[str, Any]]:
    """Counters by day (and one dimension) from the rollup."""
    if len(dims) > 1:
        raise ValueError("the rollup holds one dimension at a time")
    dim = dims[0] if dims else "all"
    sums = [getattr(CaseDailyStat, c) for c in COUNTERS]
    stmt = select(CaseDailyStat.day, CaseDailyStat.key, *sums).where(
        CaseDailyStat.dimension == dim, CaseDailyStat.day >= day_from, CaseDailyStat.day <= day_to
    )
    out = []
    for r in session.execute(stmt):
        row: dict[str, Any] = {"day": as_date(r[0])}
        if dims:
            key = r[1]
            row[dim] = int(key) if key is not None and dim in INT_DIMS else key
        for i, c in enumerate(COUNTERS, start=2):
            row[c] = int(r[i] or 0)
        out.append(row)
    return out


def rollup_complete_before(session: Session) -> date | None:
    state = session.get(RollupState, 1)
    return state.complete_before if state else None


def rows(
    session: Session,
    principal: Principal,
    dims: tuple[str, ...],
    day_from: date,
    day_to: date,
    use_rollup: bool = True,
) -> list[dict[str, Any]]:
    """Counters by day and dims for the principal's scope: rollup where it may be used
    (scope "all", days it is complete for), live SQL elsewhere."""
    usable = use_rollup and principal.sees_all and len(dims) <= 1
    complete = rollup_complete_before(session) if usable else None
    if complete is None or complete <= day_from:
        return live_rows(session, principal, dims, day_from, day_to)
    split = min(complete, day_to + timedelta(days=1))
    out = rollup_rows(session, dims, day_from, split - timedelta(days=1))
    if split <= day_to:
        out += live_rows(session, principal, dims, split, day_to)
    return out


def rebuild_rollup(session: Session, day_from: date, day_to: date) -> int:
    """Recompute the rollup for ``day_from..day_to`` (all cases, no scope): one grouped
    scan per dimension. Returns the rows written."""
    session.execute(
        delete(CaseDailyStat).where(CaseDailyStat.day >= day_from, CaseDailyStat.day <= day_to)
    )
    written = 0
    for dim in ("all", *DIMENSIONS):
        dims: tuple[str, ...] = () if dim == "all" else (dim,)
        values = []
        for r in live_rows(session, None, dims, day_from, day_to):
            v: dict[str, Any] = {c: r[c] for c in COUNTERS}
            key = r.get(dim) if dims else ""
            v.update(day=r["day"], dimension=dim, key=None if key is None else str(key))
            values.append(v)
        for i in range(0, len(values), 5000):
            session.execute(insert(CaseDailyStat), values[i : i + 5000])
        written += len(values)
    return written


def first_case_day(session: Session) -> date | None:
    first = session.scalar(select(func.min(Case.registered_at)))
    return clock.to_local(first).date() if first else None


def mark_complete(session: Session, complete_before: date) -> None:
    state = session.get(RollupState, 1)
    if state is None:
        session.add(RollupState(id=1, complete_before=complete_before, built_at=clock.now()))
    else:
        state.complete_before = max(state.complete_before, complete_before)
        state.built_at = clock.now()
    session.flush()


def light_totals(session: Session, principal: Principal) -> dict[str, int]:
    """Green/yellow/red over the open cases in scope: one pass over the open states (the
    state index), instead of one scan per light."""
    from bancheng.sla.case_clock import light_condition

    now = clock.now()
    cols = [_n(light_condition(light, now)).label(light) for light in ("green", "yellow", "red")]
    row = session.execute(
        select(*cols).where(Case.state.in_(OPEN_STATES), scope_clause(principal))
    ).one()
    return {"green": int(row[0] or 0), "yellow": int(row[1] or 0), "red": int(row[2] or 0)}
