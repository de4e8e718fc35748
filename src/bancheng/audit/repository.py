"""Every query of the log search and export. The logs are not scoped: only holders of
``audit.read`` reach them, and they see all of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from bancheng.audit.models import LoginLog, OperationLog
from bancheng.audit.schemas import LogWindow
from bancheng.core.clock import SHANGHAI


def _between(
    column: Any, date_from: date | None, date_to: date | None
) -> list[ColumnElement[bool]]:
    """SQL: ``column`` falls between two Beijing dates, both inclusive (either open)."""
    conds = []
    if date_from:
        conds.append(column >= datetime.combine(date_from, time.min, tzinfo=SHANGHAI))
    if date_to:
        conds.append(
            column < datetime.combine(date_to, time.min, tzinfo=SHANGHAI) + timedelta(days=1)
        )
    return conds


def _page(session: Session, stmt: Select[Any], model: Any, window: LogWindow) -> tuple[Any, int]:
    """One page of the entries of ``stmt`` in the window's dates, newest first, and how
    many there are."""
    stmt = stmt.where(*_between(model.at, window.date_from, window.date_to))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    size = window.page_size
    rows = session.scalars(
        stmt.order_by(model.id.desc()).offset((window.page - 1) * size).limit(size)
    ).all()
    return rows, total


def operations(
    session: Session,
    window: LogWindow,
    *,
    actor: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    outcome: str | None,
) -> tuple[list[OperationLog], int]:
    """A page of operation entries, newest first, and how many match. ``action`` is a
    prefix of the code; the other filters are exact."""
    stmt = select(OperationLog)
    if actor:
        stmt = stmt.where(OperationLog.actor_name == actor)
    if action:
        stmt = stmt.where(OperationLog.action.like(action.replace("%", "") + "%"))
    if object_type:
        stmt = stmt.where(OperationLog.object_type == object_type)
    if object_id:
        stmt = stmt.where(OperationLog.object_id == object_id)
    if outcome:
        stmt = stmt.where(OperationLog.outcome == outcome)
    return _page(session, stmt, OperationLog, window)


def logins(
    session: Session, window: LogWindow, *, username: str | None, success: bool | None
) -> tuple[list[LoginLog], int]:
    """A page of sign-in attempts, newest first, and how many match."""
    stmt = select(LoginLog)
    if username:
        stmt = stmt.where(LoginLog.username == username)
    if success is not None:
        stmt = stmt.where(LoginLog.success.is_(success))
    return _page(session, stmt, LoginLog, window)


def all_between(
    session: Session, model: Any, date_from: date | None, date_to: date | None
) -> Iterator[Any]:
    """Every entry of one log between two Beijing dates, oldest first, streamed."""
    stmt = select(model).order_by(model.id).where(*_between(model.at, date_from, date_to))
    yield from session.scalars(stmt.execution_options(yield_per=2000))


def count_older_than(session: Session, model: Any, cutoff: datetime) -> int:
    """How many rows of the log ``model`` were written before ``cutoff``."""
    return int(
        session.scalar(select(func.count()).select_from(model).where(model.at < cutoff)) or 0
    )
