"""Queries of the feedback domain: evaluations of a case, the rectifications and callback
tasks in the caller's data scope (``org/scope`` on the responsible unit), a task's
attempts; the indicator sets and the rankings' rows (``ratings``), the callback sample
(``callbacks``), the cases awaiting a rating (``reminders``) and the reply templates
(``replies``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row as DbRow
from sqlalchemy import SQLColumnExpression, func, or_, select
from sqlalchemy.orm import Session

from bancheng.cases.enums import State
from bancheng.cases.models import Case, CaseEvent
from bancheng.core.errors import NotFound
from bancheng.core.repository import in_id_order
from bancheng.feedback.models import (
    CallbackAttempt,
    CallbackTask,
    Evaluation,
    IndicatorSet,
    Rectification,
    ReplyTemplate,
)
from bancheng.org.models import Department, Hall, Matter, ServiceWindow, User
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


def evaluation(session: Session, evaluation_id: int) -> Evaluation | None:
    return session.get(Evaluation, evaluation_id)


def evaluation_of_round(session: Session, case_id: int, rnd: int) -> Evaluation | None:
    """A case's evaluation of round ``rnd``."""
    return session.scalar(
        select(Evaluation).where(Evaluation.case_id == case_id, Evaluation.round == rnd)
    )


def evaluation_count(session: Session, case_id: int) -> int:
    """How many 好差评 rounds a case has had."""
    n = session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.case_id == case_id)
    )
    return int(n or 0)


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
    return in_id_order(session, CallbackAttempt, CallbackAttempt.task_id == task_id)


# --- ratings: indicator sets, the rated staff member, the rankings -------------------------


def active_indicator_set(session: Session, kind: str) -> IndicatorSet | None:
    """The newest active indicator set of a channel type."""
    return session.scalar(
        select(IndicatorSet)
        .where(IndicatorSet.channel_type == kind, IndicatorSet.active.is_(True))
        .order_by(IndicatorSet.version.desc())
        .limit(1)
    )


def indicator_sets(session: Session) -> list[IndicatorSet]:
    """Every indicator set, by channel type and version."""
    return list(
        session.scalars(
            select(IndicatorSet).order_by(IndicatorSet.channel_type, IndicatorSet.version)
        )
    )


def latest_indicator_version(session: Session, kind: str) -> int | None:
    return session.scalar(
        select(func.max(IndicatorSet.version)).where(IndicatorSet.channel_type == kind)
    )


def active_indicator_sets(session: Session, kind: str) -> Sequence[IndicatorSet]:
    """The active sets of a channel type (one, unless a new version is being made)."""
    return session.scalars(
        select(IndicatorSet).where(IndicatorSet.channel_type == kind, IndicatorSet.active)
    ).all()


def last_resolver(session: Session, case_id: int) -> int | None:
    """Who resolved the case last (``resolve`` or ``resolve_on_spot``), if anyone."""
    return session.scalar(
        select(CaseEvent.actor_id)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.action.in_(("resolve", "resolve_on_spot")),
            CaseEvent.actor_id.is_not(None),
        )
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(1)
    )


def feedback_at(session: Session, case_id: int) -> datetime | None:
    """When the case's current feedback was given (its last ``give_feedback`` event)."""
    return session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case_id, CaseEvent.action == "give_feedback"
        )
    )


def ranking_rows(
    session: Session,
    principal: Principal,
    column: SQLColumnExpression[int | None],
    start: datetime,
    end: datetime,
) -> Sequence[DbRow[int | None, str, dict[str, Any] | None]]:
    """(``column``, rating, scores) of the evaluations not excluded, created in
    [``start``, ``end``), in the caller's scope (the evaluation's unit or the case's)."""
    return session.execute(
        select(column, Evaluation.rating, Evaluation.scores)
        .join(Case, Case.id == Evaluation.case_id)
        .where(
            Evaluation.excluded.is_(False),
            Evaluation.created_at >= start,
            Evaluation.created_at < end,
            unit_clause(principal, Evaluation.department_id, Case.current_department_id),
        )
    ).all()


def window_labels(session: Session, ids: Collection[int]) -> Sequence[DbRow[int, str, str, str]]:
    """(id, number, name, hall's name) of the service windows ``ids``."""
    return session.execute(
        select(ServiceWindow.id, ServiceWindow.number, ServiceWindow.name, Hall.name)
        .join(Hall, Hall.id == ServiceWindow.hall_id)
        .where(ServiceWindow.id.in_(ids))
    ).all()


def unit_names(session: Session, unit: str, ids: Collection[Any]) -> dict[Any, str]:
    """id → name of the staff members (display name), units or halls ``ids``."""
    model: Any = {"staff": User, "department": Department, "hall": Hall}[unit]
    label = model.display_name if unit == "staff" else model.name
    return dict(session.execute(select(model.id, label).where(model.id.in_(ids))).all())


# --- callbacks ---------------------------------------------------------------------------


def callback_task(session: Session, case_id: int, reason: str, rnd: int) -> CallbackTask | None:
    """A case's callback task for ``reason`` in round ``rnd``, if made."""
    return session.scalar(
        select(CallbackTask).where(
            CallbackTask.case_id == case_id,
            CallbackTask.reason == reason,
            CallbackTask.round == rnd,
        )
    )


def department_codes(session: Session) -> dict[int, str]:
    """Every unit's id → code."""
    return {i: c for i, c in session.execute(select(Department.id, Department.code)).all()}


def closed_unsampled(session: Session, since: datetime) -> Sequence[Case]:
    """The cases closed since ``since`` with no sample callback yet."""
    have = select(CallbackTask.case_id).where(CallbackTask.reason == "sample")
    return session.scalars(
        select(Case).where(
            Case.state == State.closed.value,
            Case.closed_at >= since,
            Case.id.not_in(have),
        )
    ).all()


# --- reminders: the cases awaiting a rating ------------------------------------------------


def awaiting_rating(session: Session, *, lock: bool = False) -> Sequence[Case]:
    """The cases whose feedback is given and not yet rated (``lock``: locked for update)."""
    stmt = select(Case).where(Case.state == State.feedback_given.value)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).all()


def reminded_since(session: Session, case_id: int, since: datetime) -> int:
    """How many rating reminders the case has had since ``since``."""
    n = session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.action == "rating_reminder",
            CaseEvent.at >= since,
        )
    )
    return int(n or 0)


# --- reply templates -----------------------------------------------------------------------


def reply_template(session: Session, template_id: int) -> ReplyTemplate | None:
    return session.get(ReplyTemplate, template_id)


def reply_templates(session: Session) -> list[ReplyTemplate]:
    """Every reply template, by action, kind and id."""
    return list(
        session.scalars(
            select(ReplyTemplate).order_by(
                ReplyTemplate.action, ReplyTemplate.kind, ReplyTemplate.id
            )
        )
    )


def active_templates_for(
    session: Session, action: str | None, kind: str
) -> Sequence[ReplyTemplate]:
    """The active templates of ``action`` (any action when None) for the case kind ``kind``
    and for every kind, those of the kind first."""
    return session.scalars(
        select(ReplyTemplate)
        .where(
            ReplyTemplate.action == action if action else ReplyTemplate.action.is_not(None),
            ReplyTemplate.active.is_(True),
            or_(ReplyTemplate.kind.is_(None), ReplyTemplate.kind == kind),
        )
        .order_by(ReplyTemplate.kind.is_(None), ReplyTemplate.id)
    ).all()


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def matter(session: Session, matter_id: int) -> Matter | None:
    return session.get(Matter, matter_id)
