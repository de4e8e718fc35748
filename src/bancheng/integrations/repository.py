"""Every query of the integrations' endpoints and services that is not another domain's:
the case behind a 12345 work order, and what Open311 reads (the matter catalogue, the
cases filed through it). These callers are platforms, not staff: nothing here is
narrowed by a data scope (Open311 sees only what was filed through Open311)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.integrations.models import HotlineOrder, Open311Token
from bancheng.org.models import Department, Matter

OPEN311_MAX_RESULTS = 1000


def order_case(session: Session, row: HotlineOrder, *, lock: bool = False) -> Case:
    """The case a work order became (locked for update when ``lock``)."""
    case = session.get(Case, row.case_id, with_for_update=lock or None)
    assert case is not None
    return case


def department_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name)).all())


def active_matter(session: Session, code: str) -> Matter | None:
    return session.scalar(select(Matter).where(Matter.code == code, Matter.active.is_(True)))


def matter_services(session: Session) -> dict[int, tuple[str, str]]:
    """Every matter's (code, name) by id, inactive ones too (old requests name them)."""
    return {
        m.id: (m.code, m.name) for m in session.execute(select(Matter.id, Matter.code, Matter.name))
    }


def _open311_cases() -> Select[Case]:
    return select(Case).join(Open311Token, Open311Token.case_id == Case.id)


def open311_case(session: Session, number: str) -> Case | None:
    return session.scalar(_open311_cases().where(Case.number == number))


def open311_token_case(session: Session, token: str) -> Case | None:
    row = session.get(Open311Token, token)
    return session.get(Case, row.case_id) if row else None


def open311_cases(
    session: Session,
    *,
    numbers: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    kinds: list[str] | None = None,
    matter_codes: list[str] | None = None,
    states: list[str] | None = None,
    other_states: list[str] | None = None,
) -> list[Case]:
    """Cases filed through Open311, newest first, at most ``OPEN311_MAX_RESULTS``: by
    number, or registered between ``start`` and ``end`` (UTC); ``kinds`` (cases without a
    matter) and ``matter_codes`` are alternatives; ``states`` keeps, ``other_states``
    leaves out."""
    stmt = _open311_cases()
    if numbers is not None:
        stmt = stmt.where(Case.number.in_(numbers))
    if start is not None:
        stmt = stmt.where(Case.registered_at >= start)
    if end is not None:
        stmt = stmt.where(Case.registered_at <= end)
    if kinds or matter_codes:
        matter_ids = (
            list(session.scalars(select(Matter.id).where(Matter.code.in_(matter_codes))))
            if matter_codes
            else []
        )
        conds: list[ColumnElement[bool]] = []
        if kinds:
            conds.append(and_(Case.kind.in_(kinds), Case.matter_id.is_(None)))
        if matter_ids:
            conds.append(Case.matter_id.in_(matter_ids))
        if not conds:
            return []
        stmt = stmt.where(or_(*conds))
    if states is not None:
        stmt = stmt.where(Case.state.in_(states))
    if other_states is not None:
        stmt = stmt.where(Case.state.not_in(other_states))
    stmt = stmt.order_by(Case.registered_at.desc(), Case.id.desc()).limit(OPEN311_MAX_RESULTS)
    return list(session.scalars(stmt))
