"""Queries of the feedback domain: evaluations of a case, the rectifications and callback
tasks in the caller's data scope (``org/scope`` on the responsible unit), a task's
attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.feedback.models import CallbackAttempt, CallbackTask, Evaluation, Rectification
from bancheng.org.scope import Principal, sees_unit, unit_clause

Row = TypeVar("Row", Rectification, CallbackTask)

# The workbench lists show the newest rows, at most this many.
LIST_LIMIT = 500


def visible(session: Session, principal: Principal, model: type[Row], row_id: int) -> Row | None:
    """A rectification or callback task if the caller sees its responsible unit, else None."""
    row = session.get(model, row_id)
    return row if row is not None and sees_unit(principal, row.department_id) else None


def case_of(session: Session, case_id: int) -> Case | None:
    """The case a rectification or callback task belongs to (already in the caller's scope
    through the row itself)."""
    return session.get(Case, case_id)


def evaluations(session: Session, case_id: int) -> Sequence[Evaluation]:
    """The 好差评 rounds of a case, in order."""
    return session.scalars(
        select(Evaluation).where(Evaluation.case_id == case_id).order_by(Evaluation.round)
    ).all()


def rectifications(
    session: Session, principal: Principal, status: str | None
) -> Sequence[Rectification]:
    """The rectifications of the units the caller sees, newest first."""
    stmt = select(Rectification).where(unit_clause(principal, Rectification.department_id))
    if status:
        stmt = stmt.where(Rectification.status == status)
    return session.scalars(stmt.order_by(Rectification.id.desc()).limit(LIST_LIMIT)).all()


def callback_tasks(
    session: Session, principal: Principal, status: str | None
) -> Sequence[CallbackTask]:
    """The callback tasks of the units the caller sees, newest first."""
    stmt = select(CallbackTask).where(unit_clause(principal, CallbackTask.department_id))
    if status:
        stmt = stmt.where(CallbackTask.status == status)
    return session.scalars(stmt.order_by(CallbackTask.id.desc()).limit(LIST_LIMIT)).all()


def attempts(session: Session, task_id: int) -> Sequence[CallbackAttempt]:
    """A callback task's attempts, in order."""
    return session.scalars(
        select(CallbackAttempt)
        .where(CallbackAttempt.task_id == task_id)
        .order_by(CallbackAttempt.id)
    ).all()
