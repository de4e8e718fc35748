"""Deadline maintenance: recomputing open cases after a policy change or a calendar import."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases.enums import OPEN_STATES
from bancheng.cases.models import Case
from bancheng.sla import case_clock
from bancheng.sla.calendar import on_calendar_change


def recompute_open(session: Session, *, provisional_only: bool = False) -> int:
    """Recompute the deadlines of every open case (or only the provisional ones) from
    their original start, pauses and extensions. Returns how many changed."""
    stmt = select(Case).where(Case.state.in_(sorted(s.value for s in OPEN_STATES)))
    if provisional_only:
        stmt = stmt.where(Case.deadline_provisional.is_(True))
    changed = 0
    for case in session.scalars(stmt.execution_options(yield_per=1000)):
        before = (case.due_at, case.yellow_at, case.deadline_provisional, case.sla_policy_id)
        case_clock.recompute(session, case)
        if (case.due_at, case.yellow_at, case.deadline_provisional, case.sla_policy_id) != before:
            changed += 1
    session.flush()
    return changed


@on_calendar_change
def _recompute_after_import(session: Session, years: Iterable[int]) -> None:
    """A loaded year turns the provisional deadlines that ran through it into exact ones."""
    recompute_open(session, provisional_only=True)
