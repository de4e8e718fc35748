"""Deadline maintenance: recomputing open cases after a policy change or a calendar import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.deadlines import repository
from bancheng.sla.calendar import load_calendar

Task = TypeVar("Task")


def open_provisional(session: Session, model: type[Task]) -> Sequence[Task]:
    """The open rows of ``model`` (a rectification, an order, a meeting decision: a
    ``status`` and a ``deadline_provisional`` column) whose working-day deadline is
    provisional: what a calendar import recounts."""
    return repository.open_provisional(session, model)


def recompute_open(session: Session, *, provisional_only: bool = False) -> int:
    """Recompute the deadlines of every open case (or only the provisional ones) from
    their original start, pauses and extensions. Returns how many changed."""
    changed = 0
    for case in repository.open_cases(session, provisional_only=provisional_only):
        before = (case.due_at, case.yellow_at, case.deadline_provisional, case.sla_policy_id)
        case_clock.recompute(session, case)
        if (case.due_at, case.yellow_at, case.deadline_provisional, case.sla_policy_id) != before:
            changed += 1
    session.flush()
    return changed


def recount_provisional_extensions(session: Session) -> set[int]:
    """Recount, between the same two dates, the working days of pending and approved
    extensions of open cases that ran through an unknown year: the unit asked for a date,
    and keeps it. Returns the ids of the cases whose clock changed."""
    cal = load_calendar(session)
    touched: set[int] = set()
    for ext, case in repository.provisional_extensions_of_open_cases(session):
        count = cal.workdays_between(ext.old_due_date, ext.new_due_date)
        ext.deadline_provisional = count.provisional
        if count.workdays != ext.extra_workdays:
            if ext.status == "approved":
                case.extension_workdays += count.workdays - ext.extra_workdays
                touched.add(case.id)
            ext.extra_workdays = count.workdays
    session.flush()
    return touched


def recompute_provisional_co_handlers(session: Session) -> int:
    """Co-handling reply deadlines still awaited that ran through an unknown year, counted
    again from the dispatch with the calendar as it is now. Returns how many changed."""
    cal = load_calendar(session)
    changed = 0
    for row in repository.pending_provisional_co_handlers(session):
        deadline = cal.add_workdays(row.assigned_at, row.workdays)
        if (deadline.date, deadline.provisional) != (row.due_date, row.deadline_provisional):
            changed += 1
        row.due_date, row.due_at = deadline.date, deadline.due_at
        row.deadline_provisional = deadline.provisional
    session.flush()
    return changed


# What the domains built on sla count in working days, recounted with the cases
# (``recompute_provisional``), in the order registered at start-up (``bancheng.hooks.install``):
# supervision's orders and decisions, feedback's rectifications.
_recounts: dict[str, Callable[[Session], int]] = {}


def on_provisional_recount(name: str, recount: Callable[[Session], int]) -> None:
    """Register ``recount(session)``: how many provisional deadlines it changed."""
    _recounts.setdefault(name, recount)


def recompute_provisional(session: Session) -> dict[str, int]:
    """Every working-day deadline that ran through a year without an official arrangement,
    recomputed from the calendar as it is now: cases (with their extensions), supervise
    orders, meeting decisions and rectifications. (A reporter's rating window is counted
    from the calendar whenever it is asked for, so it needs nothing here.)"""
    touched = recount_provisional_extensions(session)
    for case in repository.cases_by_ids(session, sorted(touched)):
        case_clock.recompute(session, case)
    co_handling = recompute_provisional_co_handlers(session)
    out = {"cases": recompute_open(session, provisional_only=True) + len(touched) + co_handling}
    for name, recount in _recounts.items():
        out[name] = recount(session)
    return out


def recompute_after_import(session: Session, years: Iterable[int]) -> None:
    """A loaded year turns the provisional deadlines that ran through it into exact ones."""
    recompute_provisional(session)
