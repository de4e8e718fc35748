"""The queries of the sla domain: the working-day calendar's tables and the time-limit
policies. Writes to the calendar are ORM statements on the models, so that the calendar
cache's stamp (``core/cache.py``) moves in the writing transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bancheng.org.models import Department
from bancheng.sla.models import CalendarDay, CalendarYear, SlaPolicy

# -- calendar --


def calendar_years_among(session: Session, years: Sequence[int]) -> list[int]:
    """Which of ``years`` have a row."""
    return sorted(session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(years))))


def replace_calendar_years(
    session: Session,
    years: Sequence[int],
    year_rows: list[dict[str, Any]],
    day_rows: list[dict[str, Any]],
) -> None:
    """Delete ``years`` with their days and insert the given rows in their place."""
    session.execute(delete(CalendarDay).where(CalendarDay.year.in_(years)))
    session.execute(delete(CalendarYear).where(CalendarYear.year.in_(years)))
    session.execute(insert(CalendarYear), year_rows)
    session.execute(insert(CalendarDay), day_rows)


def calendar_year_sources(session: Session) -> dict[int, str]:
    return {
        year: source
        for year, source in session.execute(select(CalendarYear.year, CalendarYear.source))
    }


def complete_calendar_years(session: Session, among: Iterable[int] | None = None) -> set[int]:
    """The years with a complete arrangement (only those of ``among`` when given)."""
    stmt = select(CalendarYear.year).where(CalendarYear.complete.is_(True))
    if among is not None:
        stmt = stmt.where(CalendarYear.year.in_(list(among)))
    return set(session.scalars(stmt))


def calendar_day_kinds(session: Session, years: Iterable[int]) -> dict[date, str]:
    rows = session.execute(
        select(CalendarDay.date, CalendarDay.kind).where(CalendarDay.year.in_(sorted(years)))
    )
    return {day: kind for day, kind in rows}


def special_day_counts(session: Session) -> dict[tuple[int, str], int]:
    """(year, kind) → how many holidays and make-up workdays the table holds."""
    return {
        (y, k): n
        for y, k, n in session.execute(
            select(CalendarDay.year, CalendarDay.kind, func.count())
            .where(CalendarDay.kind.in_(("holiday", "makeup_workday")))
            .group_by(CalendarDay.year, CalendarDay.kind)
        )
    }


def calendar_years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)))


def calendar_year(session: Session, year: int) -> CalendarYear | None:
    return session.get(CalendarYear, year)


def calendar_days(session: Session, year: int) -> list[CalendarDay]:
    return list(
        session.scalars(
            select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.date)
        )
    )


# -- policies --


def department_exists(session: Session, department_id: int) -> bool:
    return session.get(Department, department_id) is not None


def policy(session: Session, policy_id: int) -> SlaPolicy | None:
    return session.get(SlaPolicy, policy_id)


def policies(session: Session, *, active_only: bool = False) -> list[SlaPolicy]:
    stmt = select(SlaPolicy).order_by(SlaPolicy.id)
    if active_only:
        stmt = stmt.where(SlaPolicy.active.is_(True))
    return list(session.scalars(stmt))


def any_policy(session: Session) -> bool:
    return session.scalars(select(SlaPolicy.id).limit(1)).first() is not None
