"""Queries of the public endpoints and the print endpoints: the matter catalogue, a
case's public timeline, the note asking for more material, halls and windows. The case
itself is found by its private link or the reporter's phone (``intake/service.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case, CaseEvent, CaseNumberCounter
from bancheng.intake.models import CaseAccessToken
from bancheng.org.models import Department, Hall, Matter, ServiceWindow


def active_matters(session: Session) -> Sequence[Matter]:
    """The matter catalogue the phone form offers, by code."""
    return session.scalars(
        select(Matter).where(Matter.active.is_(True)).order_by(Matter.code)
    ).all()


def public_events(session: Session, case_id: int) -> Sequence[CaseEvent]:
    """A case's public timeline events, in order."""
    return session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.public.is_(True))
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()


def master_of(session: Session, case: Case) -> Case | None:
    """The case a merged case follows (its reporter sees the master's progress)."""
    return session.get(Case, case.merged_into_id) if case.merged_into_id is not None else None


def supplement_request(session: Session, case_id: int) -> str | None:
    """The reason of the case's latest suspension (what the reporter is asked to bring)."""
    reason: str | None = session.scalar(
        select(CaseEvent.reason)
        .where(CaseEvent.case_id == case_id, CaseEvent.action == "suspend")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    return reason


def hall(session: Session, hall_id: int) -> Hall | None:
    return session.get(Hall, hall_id)


def window(session: Session, window_id: int) -> ServiceWindow | None:
    return session.get(ServiceWindow, window_id)


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def active_centres(session: Session) -> Sequence[Department]:
    """The active units of kind ``centre``."""
    return session.scalars(
        select(Department).where(Department.kind == "centre", Department.active.is_(True))
    ).all()


def root_department(session: Session) -> Department | None:
    """The first unit without a parent."""
    return session.scalar(
        select(Department).where(Department.parent_id.is_(None)).order_by(Department.id)
    )


def case_of_token(session: Session, token_hash: str) -> Case | None:
    """The case a private status link's token hash opens, if any."""
    row = session.scalar(select(CaseAccessToken).where(CaseAccessToken.token_hash == token_hash))
    return session.get(Case, row.case_id) if row is not None else None


def case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number))


def last_case_seq(session: Session, jurisdiction: str, year: int) -> int | None:
    """The jurisdiction's last case number of the year (read, not locked)."""
    return session.scalar(
        select(CaseNumberCounter.last_seq).where(
            CaseNumberCounter.jurisdiction == jurisdiction, CaseNumberCounter.year == year
        )
    )
