"""Queries of the feedback domain: evaluations of a case, the rectifications and callback
tasks in the caller's data scope (``org/scope`` on the responsible unit), a task's
attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core.errors import NotFound
from bancheng.feedback.models import CallbackAttempt, CallbackTask, Evaluation, Rectification
from bancheng.org.scope import Principal, sees_unit, unit_clause

Row = TypeVar("Row", Rectification, CallbackTask)

# The workbench lists show the newest rows, at most this many.
LIST_LIMIT = 500


def visible_or_raise(
    session: Session, principal: Principal, model: type[Row], row_id: int, code: str, message: str
) -> Row:
    """A rectification or callback task if the caller sees its responsible unit; otherwise
    ``NotFound(code, message)`` (a row out of scope is not told apart from a missing one)."""
    row = session.get(model, row_id)
    if row is None or not sees_unit(principal, row.department_id):
        raise NotFound(code, message)
    return row


def case_of(session: Session, case_id: int) -> Case | None:
    """The case a rectification or callback task belongs to (already in the caller's scope
    through the row itself)."""
    return session.get(Case, case_id)


def evaluations(session: Session, case_id: int) -> Sequence[Evaluation]:
    """The 好差评 rounds of a case, in order."""
    return session.scalars(
        select(Evaluation).where(Evaluation.case_id == case_id).order_by(Evaluation.round)
    ).all()


def newest_visible(
    session: Session, principal: Principal, model: type[Row], status: str | None
) -> Sequence[Row]:
    """The rectifications or callback tasks of the units the caller sees (with ``status``
    when given), newest first."""
    stmt = select(model).where(unit_clause(principal, model.department_id))
    if status:
        stmt = stmt.where(model.status == status)
    return session.scalars(stmt.order_by(model.id.desc()).limit(LIST_LIMIT)).all()


def attempts(session: Session, task_id: int) -> Sequence[CallbackAttempt]:
    """A callback task's attempts, in order."""
    return session.scalars(
        select(CallbackAttempt)
        .where(CallbackAttempt.task_id == task_id)
        .order_by(CallbackAttempt.id)
    ).all()
