"""The queries of the reports built from cases: the daily summary's counts, the Excel
export's rows, the monthly disclosure's rectifications, and the names the breakdowns
show."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import Session

from bancheng.cases.case_clock import light_condition
from bancheng.cases.models import Case
from bancheng.cases.repository import filter_conditions, scope_clause
from bancheng.cases.schemas import CaseFilter
from bancheng.core import clock
from bancheng.feedback.models import Rectification
from bancheng.insights.repository import day_start
from bancheng.org.models import Department, Hall, Matter
from bancheng.org.scope import Principal

# --- the breakdowns' names ---------------------------------------------------------------


def names_of(session: Session, dim: str, ids: Collection[Any]) -> dict[Any, str]:
    """id → name of the units, halls or matters (``dim``) ``ids``."""
    model: Any = {"department": Department, "hall": Hall, "matter": Matter}[dim]
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def department_tree(session: Session) -> Sequence[Row[int, str, int | None]]:
    """(id, path, parent id) of every unit."""
    return session.execute(select(Department.id, Department.path, Department.parent_id)).all()


# --- the daily summary ---------------------------------------------------------------------


@dataclass
class DayCounts:
    new: int
    resolved: int
    resolved_on_spot: int
    overdue: int
    yellow: int
    by_kind: dict[Any, int]
    by_blocker: dict[Any, int]
    by_department: dict[Any, int]
    notable: Sequence[Case]  # red, those to supervise first, then by deadline


def _count_by(session: Session, where: Any, column: Any) -> dict[Any, int]:
    rows = session.execute(select(column, func.count()).where(where).group_by(column)).all()
    return {k: int(n) for k, n in rows}


def day_counts(
    session: Session, principal: Principal | None, day: date, notable_limit: int
) -> DayCounts:
    """The cases of one local day in the caller's scope (``None``: everything): registered,
    resolved (on the spot), red and yellow (as of the day's end, or now), the registered
    ones by kind, blocker and unit, and at most ``notable_limit`` red cases."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    scope = scope_clause(principal) if principal is not None else None
    base = [scope] if scope is not None else []
    as_of = min(clock.now(), end)
    new = and_(Case.registered_at >= start, Case.registered_at < end, *base)
    resolved = and_(Case.resolved_at >= start, Case.resolved_at < end, *base)
    red = and_(light_condition("red", as_of), *base)
    yellow = and_(light_condition("yellow", as_of), *base)

    def n(where: Any) -> int:
        return session.scalar(select(func.count()).select_from(Case).where(where)) or 0

    by_kind = _count_by(session, new, Case.kind)
    by_blocker = _count_by(session, new, Case.blocker_type)
    by_dept = _count_by(session, new, Case.current_department_id)
    notable = session.scalars(
        select(Case)
        .where(red)
        .order_by(Case.needs_supervision.desc(), Case.due_at.asc(), Case.id)
        .limit(notable_limit)
    ).all()
    return DayCounts(
        new=n(new),
        resolved=n(resolved),
        resolved_on_spot=n(and_(resolved, Case.resolved_on_spot.is_(True))),
        overdue=n(red),
        yellow=n(yellow),
        by_kind=by_kind,
        by_blocker=by_blocker,
        by_department=by_dept,
        notable=notable,
    )


# --- the Excel export ------------------------------------------------------------------------

EXPORT_COLUMNS = (
    Case.number,
    Case.hotline_order_number,
    Case.state,
    Case.channel,
    Case.kind,
    Case.difficulty,
    Case.blocker_type,
    Case.nature,
    Case.title,
    Case.description,
    Case.reporter_type,
    Case.reporter_name,
    Case.reporter_phone_masked,
    Case.reporter_id_masked,
    Case.reporter_org_name,
    Case.matter_id,
    Case.hall_id,
    Case.current_department_id,
    Case.transfer_count,
    Case.return_count,
    Case.resolved_on_spot,
    Case.resolution,
    Case.rating,
    Case.registered_at,
    Case.due_at,
    Case.resolved_at,
)


def matter_codes(session: Session) -> dict[int, tuple[str, str]]:
    """Every matter's id → (code, name)."""
    return {
        m.id: (m.code, m.name) for m in session.execute(select(Matter.id, Matter.code, Matter.name))
    }


def hall_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Hall.id, Hall.name)).all())


def export_rows(session: Session, principal: Principal, f: CaseFilter) -> Iterator[Any]:
    """The ``EXPORT_COLUMNS`` of the cases in the caller's scope that match ``f``, newest
    first, streamed a thousand at a time."""
    where = and_(scope_clause(principal), *filter_conditions(session, f))
    stmt = select(*EXPORT_COLUMNS).where(where).order_by(Case.registered_at.desc(), Case.id.desc())
    yield from session.execute(stmt.execution_options(yield_per=1000, stream_results=True))


# --- the monthly disclosure --------------------------------------------------------------------


def rectifications_opened(
    session: Session, start: datetime, end: datetime, limit: int
) -> Sequence[Row[Rectification, str, str | None]]:
    """(rectification, reporter's name, matter's name) of the rectifications opened in
    [``start``, ``end``), oldest first, at most ``limit``."""
    return session.execute(
        select(Rectification, Case.reporter_name, Matter.name)
        .join(Case, Case.id == Rectification.case_id)
        .outerjoin(Matter, Matter.id == Case.matter_id)
        .where(Rectification.created_at >= start, Rectification.created_at < end)
        .order_by(Rectification.created_at, Rectification.id)
        .limit(limit)
    ).all()
