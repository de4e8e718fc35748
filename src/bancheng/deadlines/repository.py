"""Every query of the work on cases' deadlines: the sweeper's set-based statements (a few
statements whatever the number of cases; the conditions are the sweeper's rules and come
in as arguments) and the rows the recounts after a calendar import walk."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from bancheng.cases.enums import OPEN_STATES
from bancheng.cases.models import Case, CaseCoHandler, CaseEvent
from bancheng.sla.models import DeadlineExtension

Task = TypeVar("Task")

_NO_SYNC = {"synchronize_session": False}

# -- the sweep ------------------------------------------------------------------------


def count_cases(session: Session, cond: ColumnElement[bool]) -> int:
    """How many cases match ``cond``."""
    return int(session.scalar(select(func.count()).select_from(Case).where(cond)) or 0)


def cases_where(session: Session, *conds: ColumnElement[bool]) -> list[Case]:
    """The cases matching every condition, loaded."""
    return list(session.scalars(select(Case).where(*conds)))


def _empty_json(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("CAST('{}' AS JSONB)")
    return literal_column("'{}'")


def add_system_events(
    session: Session, cond: ColumnElement[bool], action: str, now: datetime
) -> None:
    """One private timeline event ``action`` by 系统 at ``now`` on every case matching
    ``cond``, its state unchanged: a single INSERT … SELECT."""
    events = select(
        Case.id,
        literal(now),
        literal(action),
        Case.state,
        Case.state,
        literal("系统"),
        _empty_json(session),
        literal(False),
    ).where(cond)  # type: ignore[arg-type]
    session.execute(
        insert(CaseEvent).from_select(
            [
                "case_id",
                "at",
                "action",
                "from_state",
                "to_state",
                "actor_name",
                "details",
                "public",
            ],
            events,
        )
    )


def notice_rows(
    cond: ColumnElement[bool], department: Any, title_prefix: str, title_suffix: str
) -> Select[Any]:
    """Rows of (department, case id, title) for a unit notice on every case matching
    ``cond``: the title is ``<prefix><number><suffix>：<case title>``."""
    return select(
        department,
        Case.id,
        literal(title_prefix) + Case.number + literal(title_suffix) + literal("：") + Case.title,
    ).where(cond)


def mark_red(session: Session, cond: ColumnElement[bool], now: datetime) -> None:
    """The cases matching ``cond`` turned red at ``now`` (and yellow, if not yet)."""
    session.execute(
        update(Case)
        .where(cond)
        .values(
            red_notified_at=now, yellow_notified_at=func.coalesce(Case.yellow_notified_at, now)
        ),
        execution_options=_NO_SYNC,
    )


def mark_yellow(session: Session, cond: ColumnElement[bool], now: datetime) -> None:
    """The cases matching ``cond`` turned yellow at ``now``."""
    session.execute(
        update(Case).where(cond).values(yellow_notified_at=now),
        execution_options=_NO_SYNC,
    )


def mark_escalated(session: Session, cond: ColumnElement[bool], now: datetime) -> None:
    """The cases matching ``cond`` were escalated to supervision at ``now`` (reason
    ``overdue`` unless one is set already); each case's version moves on."""
    session.execute(
        update(Case)
        .where(cond)
        .values(
            escalated_at=now,
            needs_supervision=True,
            supervision_reason=func.coalesce(Case.supervision_reason, "overdue"),
            version=Case.version + 1,
        ),
        execution_options=_NO_SYNC,
    )


# -- recounts after a policy change or a calendar import -------------------------------

_OPEN = sorted(s.value for s in OPEN_STATES)


def open_provisional(session: Session, model: type[Task]) -> Sequence[Task]:
    """The open rows of ``model`` (a ``status`` and a ``deadline_provisional`` column)
    whose working-day deadline is provisional."""
    columns: Any = model  # sla does not import the models of the domains above it
    return session.scalars(
        select(model).where(columns.status == "open", columns.deadline_provisional.is_(True))
    ).all()


def open_cases(session: Session, *, provisional_only: bool) -> Iterator[Case]:
    """Every open case (or only those with a provisional deadline), streamed in batches."""
    stmt = select(Case).where(Case.state.in_(_OPEN))
    if provisional_only:
        stmt = stmt.where(Case.deadline_provisional.is_(True))
    return iter(session.scalars(stmt.execution_options(yield_per=1000)))


def cases_by_ids(session: Session, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids."""
    return list(session.scalars(select(Case).where(Case.id.in_(ids))))


def provisional_extensions_of_open_cases(
    session: Session,
) -> Sequence[tuple[DeadlineExtension, Case]]:
    """Pending and approved extensions with a provisional count, of open cases, each with
    its case."""
    rows = session.execute(
        select(DeadlineExtension, Case)
        .join(Case, Case.id == DeadlineExtension.case_id)
        .where(
            DeadlineExtension.deadline_provisional.is_(True),
            DeadlineExtension.status.in_(("pending", "approved")),
            Case.state.in_(_OPEN),
        )
    ).all()
    return [(ext, case) for ext, case in rows]


def pending_provisional_co_handlers(session: Session) -> Iterator[CaseCoHandler]:
    """Co-handling replies still awaited whose deadline is provisional."""
    return iter(
        session.scalars(
            select(CaseCoHandler).where(
                CaseCoHandler.deadline_provisional.is_(True), CaseCoHandler.status == "pending"
            )
        )
    )
