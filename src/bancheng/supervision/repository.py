"""Queries of the supervision domain. Visibility of orders follows the caller's data
scope: orders addressed to (or first addressed to) a unit in scope, or issued by them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core.errors import NotFound
from bancheng.org.models import Matter
from bancheng.org.scope import Principal, unit_clause
from bancheng.supervision.models import (
    Meeting,
    MeetingCase,
    MeetingDecision,
    SupervisionOrder,
    SupervisionOrderCase,
    SupervisionOrderEvent,
    SystemicChange,
    SystemicIssue,
)


def order_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.sees_all:
        return true()
    return or_(
        unit_clause(
            principal, SupervisionOrder.department_id, SupervisionOrder.original_department_id
        ),
        SupervisionOrder.issuer_id == principal.user_id,
    )


def get_order(session: Session, principal: Principal, order_id: int) -> SupervisionOrder:
    order = session.scalar(
        select(SupervisionOrder).where(SupervisionOrder.id == order_id, order_scope(principal))
    )
    if order is None:
        raise NotFound("supervision.order_not_found", "督办单不存在或无权查看")
    return order


def list_orders(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    department_ids: Iterable[int] | None = None,
    case_id: int | None = None,
    limit: int = 500,
) -> list[SupervisionOrder]:
    stmt = select(SupervisionOrder).where(order_scope(principal))
    if status == "open":
        stmt = stmt.where(SupervisionOrder.status.in_(("open", "replied")))
    elif status:
        stmt = stmt.where(SupervisionOrder.status == status)
    if department_ids is not None:
        ids = sorted(department_ids)
        stmt = stmt.where(
            or_(
                SupervisionOrder.department_id.in_(ids),
                SupervisionOrder.original_department_id.in_(ids),
            )
        )
    if case_id is not None:
        stmt = stmt.where(
            SupervisionOrder.id.in_(
                select(SupervisionOrderCase.order_id).where(SupervisionOrderCase.case_id == case_id)
            )
        )
    stmt = stmt.order_by(SupervisionOrder.due_at, SupervisionOrder.id).limit(limit)
    return list(session.scalars(stmt))


def visible_cases(principal: Principal | None) -> ColumnElement[bool]:
    """Cases embedded in an order, a meeting or a systemic issue are shown only when the
    caller may see them (``cases.repository.scope_clause``: the one case-scope rule)."""
    from bancheng.cases.repository import scope_clause

    return true() if principal is None else scope_clause(principal)


def order_cases(
    session: Session, order_ids: list[int], principal: Principal | None = None
) -> dict[int, list[Case]]:
    out: dict[int, list[Case]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    rows = session.execute(
        select(SupervisionOrderCase.order_id, Case)
        .join(Case, Case.id == SupervisionOrderCase.case_id)
        .where(SupervisionOrderCase.order_id.in_(order_ids), visible_cases(principal))
        .order_by(Case.id)
    ).all()
    for oid, case in rows:
        out[oid].append(case)
    return out


def order_events(session: Session, order_id: int) -> list[SupervisionOrderEvent]:
    return list(
        session.scalars(
            select(SupervisionOrderEvent)
            .where(SupervisionOrderEvent.order_id == order_id)
            .order_by(SupervisionOrderEvent.id)
        )
    )


def meeting_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.sees_all:
        return true()
    return or_(
        unit_clause(principal, Meeting.convener_department_id),
        Meeting.convened_by_id == principal.user_id,
        Meeting.id.in_(
            select(MeetingDecision.meeting_id).where(
                unit_clause(principal, MeetingDecision.responsible_department_id)
            )
        ),
    )


def get_meeting(session: Session, principal: Principal, meeting_id: int) -> Meeting:
    m = session.scalar(select(Meeting).where(Meeting.id == meeting_id, meeting_scope(principal)))
    if m is None:
        raise NotFound("supervision.meeting_not_found", "会议不存在或无权查看")
    return m


def list_meetings(
    session: Session, principal: Principal, case_id: int | None = None
) -> list[Meeting]:
    stmt = select(Meeting).where(meeting_scope(principal))
    if case_id is not None:
        stmt = stmt.where(
            Meeting.id.in_(select(MeetingCase.meeting_id).where(MeetingCase.case_id == case_id))
        )
    return list(session.scalars(stmt.order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def meeting_cases(
    session: Session, meeting_id: int, principal: Principal | None = None
) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .join(MeetingCase, MeetingCase.case_id == Case.id)
            .where(MeetingCase.meeting_id == meeting_id, visible_cases(principal))
            .order_by(Case.id)
        )
    )


def decisions(session: Session, meeting_id: int) -> list[MeetingDecision]:
    return list(
        session.scalars(
            select(MeetingDecision)
            .where(MeetingDecision.meeting_id == meeting_id)
            .order_by(MeetingDecision.seq)
        )
    )


def open_decisions(session: Session, principal: Principal) -> list[MeetingDecision]:
    stmt = select(MeetingDecision).where(MeetingDecision.status == "open")
    stmt = stmt.where(unit_clause(principal, MeetingDecision.responsible_department_id))
    return list(session.scalars(stmt.order_by(MeetingDecision.due_at).limit(500)))


def meeting_decision(session: Session, meeting_id: int, decision_id: int) -> MeetingDecision:
    """A decision of this meeting; otherwise 404."""
    d = session.get(MeetingDecision, decision_id)
    if d is None or d.meeting_id != meeting_id:
        raise NotFound("supervision.decision_not_found", "议定事项不存在")
    return d


# --- systemic issues ---------------------------------------------------------------------


def matter(session: Session, matter_id: int) -> Matter | None:
    return session.get(Matter, matter_id)


def systemic_issues(session: Session) -> list[SystemicIssue]:
    """Every systemic issue, newest first."""
    return list(session.scalars(select(SystemicIssue).order_by(SystemicIssue.id.desc())))


def matter_issues(session: Session, matter_id: int) -> list[SystemicIssue]:
    """The systemic issues about a matter, or with a change to it."""
    ids = set(session.scalars(select(SystemicIssue.id).where(SystemicIssue.matter_id == matter_id)))
    ids |= set(
        session.scalars(
            select(SystemicChange.issue_id).where(SystemicChange.matter_id == matter_id)
        )
    )
    return list(session.scalars(select(SystemicIssue).where(SystemicIssue.id.in_(ids))))


def guide_changes(session: Session, matter_id: int) -> list[SystemicChange]:
    """The revisions of a matter's service guide, oldest first."""
    return list(
        session.scalars(
            select(SystemicChange)
            .where(
                SystemicChange.matter_id == matter_id,
                SystemicChange.type == "service_guide_revised",
            )
            .order_by(SystemicChange.changed_on)
        )
    )
