"""The insights queries. Live figures go through ``cases.repository.scope_clause``; the
rollup (``case_daily_stats``) holds the same counters per day for every data scope a
department-based viewer can have (everything, a unit and below, a unit alone), so the
dashboards read a few hundred rows instead of scanning cases. It is kept current by
``refresh``: the days whose cases changed since the last refresh (marked by a flush hook,
``insights/marking.py``), today, and the days of open cases that went overdue meanwhile are
recomputed (see docs/metrics.md) by ``insights/repository/rollup.py``; the reports' queries
(daily summary, export, disclosure) are ``insights/repository/reports.py``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from bancheng.cases.models import Case, CaseDepartment
from bancheng.cases.repository import scope_clause
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.insights.models import (
    COUNTERS,
    CaseDailyStat,
    LightSnapshot,
    RollupScopeUnit,
    RollupState,
)
from bancheng.org.models import Department
from bancheng.org.scope import Principal

DIMENSIONS = (
    "department",
    "hall",
    "channel",
    "kind",
    "blocker_type",
    "matter",
    "difficulty",
    "nature",
)
CASE_DIM = {
    "department": Case.current_department_id,
    "hall": Case.hall_id,
    "channel": Case.channel,
    "kind": Case.kind,
    "blocker_type": Case.blocker_type,
    "matter": Case.matter_id,
    "difficulty": Case.difficulty,
    "nature": Case.nature,
}
INT_DIMS = frozenset({"department", "hall", "matter"})
GOOD_RATINGS = ("very_satisfied", "satisfied", "basically_satisfied")
BAD_RATINGS = ("dissatisfied", "very_dissatisfied")
OPEN_STATES = ("registered", "dispatched", "accepted", "in_progress", "suspended", "reopened")


# A merged group (并单) counts once, by its master: followers are left out of every
# counter and light (docs/metrics.md).
COUNTED = Case.merged_into_id.is_(None)


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


def _feedback_conditions() -> dict[str, ColumnElement[bool]]:
    """Rectification and callback counters from the citizen side's tables (issue 6): a
    rectification overturned on appeal is not due; a callback counts when the reporter was
    reached (or reached and refused to talk). ``IN (subquery)`` rather than a correlated
    EXISTS: both databases build the set once per statement."""
    from bancheng.feedback.models import CallbackTask, Rectification

    def has(model: Any, *conds: Any) -> ColumnElement[bool]:
        return Case.id.in_(select(model.case_id).where(*conds))

    return {
        "rectify_due": has(Rectification, Rectification.status != "overturned"),
        "rectified": has(Rectification, Rectification.status == "done"),
        "callback_due": has(CallbackTask),
        "called_back": has(CallbackTask, CallbackTask.status.in_(("reached", "refused"))),
    }


def _rating_counts() -> ColumnElement[bool]:
    """A rating counts unless the review of the case's latest round was excluded (an
    appeal upheld by a supervisor: malicious or mistaken)."""
    from bancheng.feedback.models import Evaluation

    latest = aliased(Evaluation)
    last_round = select(func.max(latest.round)).where(latest.case_id == Evaluation.case_id)
    excluded = select(Evaluation.case_id).where(
        Evaluation.excluded.is_(True), Evaluation.round == last_round.scalar_subquery()
    )
    return and_(Case.rating.is_not(None), Case.id.not_in(excluded))


# Outcomes of cases ended, with a supervisor's approval, as unreasonable or invalid demands.
ENDED_OUTCOMES = ("unreasonable", "invalid")


def counter_columns(now: datetime) -> list[Any]:
    """One aggregate per counter, in ``COUNTERS`` order (definitions: docs/metrics.md).

    **Assessed cases.** A case ended as unreasonable or invalid (approved by a supervisor)
    is counted in ``unreasonable`` and in no other counter, so no figure, rate or
    assessment score built on these counters includes it. This is the one place the rule
    is applied."""
    assessed = or_(Case.outcome.is_(None), Case.outcome.not_in(ENDED_OUTCOMES))
    conds = _counter_conditions(now)
    cols = {c: _n(and_(assessed, cond)) for c, cond in conds.items()}
    cols["registered"] = _n(assessed)
    cols["unreasonable"] = _n(Case.outcome.in_(ENDED_OUTCOMES))
    return [cols[c].label(c) for c in COUNTERS]


def _counter_conditions(now: datetime) -> dict[str, ColumnElement[bool]]:
    """When a case counts, for each counter but ``registered`` and ``unreasonable``."""
    responded_at = func.coalesce(Case.accepted_at, Case.resolved_at)
    rating_counts = _rating_counts()
    # A case the model dispatched to the wrong unit lost time there: its timeliness is the
    # router's, not a unit's, and the one correction does not count as a transfer or return
    # of the unit that received it (docs/metrics.md).
    timed = Case.auto_misroute.is_(None)
    return {
        "resolved": (Case.resolved_at.is_not(None)),
        "resolved_on_spot": (Case.resolved_on_spot.is_(True)),
        "cannot_by_policy": (Case.outcome == "cannot_by_policy"),
        "solved": (
            and_(
                Case.resolved_at.is_not(None),
                or_(Case.outcome.is_(None), Case.outcome != "cannot_by_policy"),
            )
        ),
        "resolved_with_deadline": (
            and_(timed, Case.resolved_at.is_not(None), Case.due_at.is_not(None))
        ),
        "on_time": (and_(timed, Case.resolved_at.is_not(None), Case.resolved_at <= Case.due_at)),
        "responded": (
            and_(
                responded_at.is_not(None),
                or_(Case.response_due_at.is_(None), responded_at <= Case.response_due_at),
            )
        ),
        "overdue": (
            and_(
                timed,
                or_(
                    Case.resolved_at > Case.due_at,
                    and_(
                        Case.resolved_at.is_(None), Case.state.in_(OPEN_STATES), Case.due_at <= now
                    ),
                ),
            )
        ),
        "rated": (rating_counts),
        "satisfied": (and_(rating_counts, Case.rating.in_(GOOD_RATINGS))),
        "bad": (and_(rating_counts, Case.rating.in_(BAD_RATINGS))),
        "transferred": (Case.transfer_count > case((Case.auto_misroute == "transfer", 1), else_=0)),
        "returned": (Case.return_count > case((Case.auto_misroute == "return", 1), else_=0)),
        "reopened": (Case.reopen_count > 0),
        **_feedback_conditions(),
    }


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
    keys = [day, *(CASE_DIM[d] for d in dims)]
    conds = [
        Case.registered_at >= day_start(day_from),
        Case.registered_at < day_start(day_to + timedelta(days=1)),
        COUNTED,
        *(extra or []),
    ]
    if principal is not None:
        conds.append(scope_clause(principal))
    stmt = select(*keys, *counter_columns(clock.now())).where(*conds).group_by(*keys)
    return [_row(dims, r) for r in session.execute(stmt)]


def scope_pairs(extra: list[ColumnElement[bool]]) -> Any:
    """(case, scope) for every rollup scope that sees the case — once per pair, however
    many of the scope's units were involved."""
    return (
        select(CaseDepartment.case_id.label("case_id"), RollupScopeUnit.scope.label("scope"))
        .join(RollupScopeUnit, RollupScopeUnit.department_id == CaseDepartment.department_id)
        .join(Case, Case.id == CaseDepartment.case_id)
        .where(*extra)
        .distinct()
        .subquery("scope_pairs")
    )


def rollup_rows(
    session: Session, scope: str, dims: tuple[str, ...], day_from: date, day_to: date
) -> list[dict[str, Any]]:
    """Counters by day (and one dimension) of one scope, from the rollup."""
    if len(dims) > 1:
        raise ValueError("the rollup holds one dimension at a time")
    dim = dims[0] if dims else "all"
    sums = [getattr(CaseDailyStat, c) for c in COUNTERS]
    stmt = select(CaseDailyStat.day, CaseDailyStat.key, *sums).where(
        CaseDailyStat.scope == scope,
        CaseDailyStat.dimension == dim,
        CaseDailyStat.day >= day_from,
        CaseDailyStat.day <= day_to,
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


def rollup_state(session: Session) -> RollupState | None:
    return session.get(RollupState, 1)


# --- which rollup scope a viewer reads ----------------------------------------------------


def desired_scope_units(session: Session) -> dict[str, frozenset[int]]:
    """``t:<id>`` (the unit and everything below it) for every unit, and ``d:<id>`` (the
    unit alone) for units that have units below them (for a leaf both are the same)."""
    depts = session.execute(select(Department.id, Department.path)).all()
    below: dict[int, set[int]] = {d.id: {d.id} for d in depts}
    for d in depts:
        for part in (d.path or "").strip("/").split("/"):
            if part and int(part) in below:
                below[int(part)].add(d.id)
    out: dict[str, frozenset[int]] = {}
    for dept_id, units in below.items():
        out[f"t:{dept_id}"] = frozenset(units)
        if len(units) > 1:
            out[f"d:{dept_id}"] = frozenset({dept_id})
    return out


def stored_scope_units(session: Session) -> dict[str, frozenset[int]]:
    found: dict[str, set[int]] = {}
    for scope, dept_id in session.execute(
        select(RollupScopeUnit.scope, RollupScopeUnit.department_id)
    ):
        found.setdefault(scope, set()).add(dept_id)
    return {k: frozenset(v) for k, v in found.items()}


def store_scope_units(session: Session, units: dict[str, frozenset[int]]) -> None:
    session.execute(delete(RollupScopeUnit))
    values = [{"scope": k, "department_id": d} for k, ds in units.items() for d in sorted(ds)]
    for i in range(0, len(values), 5000):
        session.execute(insert(RollupScopeUnit), values[i : i + 5000])


def rollup_scope(session: Session, principal: Principal) -> str | None:
    """The rollup scope whose units are exactly the viewer's scope; ``None`` when there is
    none (own cases only, or a custom set of units): those viewers get live SQL."""
    if principal.sees_all:
        return "*"
    wanted = principal.scope_department_ids
    if principal.data_scope == "self" or not wanted:
        return None
    first = [f"t:{principal.department_id}", f"d:{principal.department_id}"]
    for candidates in (first, None):
        stmt = select(RollupScopeUnit.scope, RollupScopeUnit.department_id)
        if candidates is not None:
            stmt = stmt.where(RollupScopeUnit.scope.in_(candidates))
        found: dict[str, set[int]] = {}
        for scope, dept_id in session.execute(stmt):
            found.setdefault(scope, set()).add(dept_id)
        for scope in sorted(found):
            if found[scope] == wanted:
                return scope
    return None


def rows(
    session: Session,
    principal: Principal,
    dims: tuple[str, ...],
    day_from: date,
    day_to: date,
    use_rollup: bool = True,
) -> list[dict[str, Any]]:
    """Counters by day and dims for the principal's scope: the rollup where it holds the
    scope and the days, live SQL elsewhere."""
    state = rollup_state(session) if use_rollup and len(dims) <= 1 else None
    scope = rollup_scope(session, principal) if state is not None else None
    if state is None or scope is None or state.complete_before <= day_from:
        return live_rows(session, principal, dims, day_from, day_to)
    split = min(state.complete_before, day_to + timedelta(days=1))
    out = rollup_rows(session, scope, dims, day_from, split - timedelta(days=1))
    if split <= day_to:
        out += live_rows(session, principal, dims, split, day_to)
    return out


# --- lights -------------------------------------------------------------------------------


def _light_columns(now: datetime) -> list[Any]:
    from bancheng.cases.case_clock import light_condition

    return [_n(light_condition(light, now)).label(light) for light in ("green", "yellow", "red")]


LightCounts = list[tuple[str, int, int, int]]


def count_lights(session: Session, now: datetime) -> LightCounts:
    """Green/yellow/red of the open cases for every rollup scope (a read: callers may run
    it outside the writing transaction)."""
    is_open = and_(Case.state.in_(OPEN_STATES), COUNTED)
    rows = [("*", *session.execute(select(*_light_columns(now)).where(is_open)).one())]
    pairs = scope_pairs([is_open])
    rows += list(
        session.execute(
            select(pairs.c.scope, *_light_columns(now))
            .select_from(Case)
            .join(pairs, pairs.c.case_id == Case.id)
            .where(is_open)
            .group_by(pairs.c.scope)
        )
    )
    return [(str(r[0]), int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows]


def store_lights(session: Session, counts: LightCounts, now: datetime) -> int:
    session.execute(delete(LightSnapshot))
    session.execute(
        insert(LightSnapshot),
        [
            {"scope": scope, "green": g, "yellow": y, "red": r, "computed_at": now}
            for scope, g, y, r in counts
        ],
    )
    return len(counts)


def live_light_totals(session: Session, principal: Principal) -> dict[str, int]:
    """Green/yellow/red over the open cases in scope: one pass over the open states."""
    row = session.execute(
        select(*_light_columns(clock.now())).where(
            Case.state.in_(OPEN_STATES), COUNTED, scope_clause(principal)
        )
    ).one()
    return {"green": int(row[0] or 0), "yellow": int(row[1] or 0), "red": int(row[2] or 0)}


def light_totals(
    session: Session, principal: Principal, use_snapshot: bool = True
) -> tuple[dict[str, int], datetime | None]:
    """The lights of the viewer's scope and when they were counted: the last snapshot when
    the rollup holds the scope (``None``: counted now)."""
    state = rollup_state(session) if use_snapshot else None
    scope = rollup_scope(session, principal) if state is not None else None
    if state is None or scope is None:
        return live_light_totals(session, principal), None
    snap = session.get(LightSnapshot, scope)
    if snap is None:
        if session.scalar(select(func.count()).select_from(LightSnapshot)) == 0:
            return live_light_totals(session, principal), None
        return {"green": 0, "yellow": 0, "red": 0}, state.refreshed_at  # no open cases
    return {"green": snap.green, "yellow": snap.yellow, "red": snap.red}, snap.computed_at
