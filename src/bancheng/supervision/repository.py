"""Queries of the supervision domain. Visibility of orders follows the caller's data
scope: orders addressed to (or first addressed to) a unit in scope, or issued by them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core.db import found
from bancheng.core.errors import NotFound
from bancheng.core.repository import in_id_order
from bancheng.org.models import Department, Matter
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
    SystemicIssueCase,
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
    stmt = select(SupervisionOrder).where(SupervisionOrder.id == order_id, order_scope(principal))
    return found(session, stmt, NotFound("supervision.order_not_found", "督办单不存在或无权查看"))


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
    return in_id_order(session, SupervisionOrderEvent, SupervisionOrderEvent.order_id == order_id)


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
    stmt = select(Meeting).where(Meeting.id == meeting_id, meeting_scope(principal))
    return found(session, stmt, NotFound("supervision.meeting_not_found", "会议不存在或无权查看"))


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


def systemic_issue(session: Session, issue_id: int) -> SystemicIssue | None:
    return session.get(SystemicIssue, issue_id)


def systemic_issues_in_order(session: Session) -> list[SystemicIssue]:
    """Every systemic issue, oldest first (the monthly report)."""
    return list(session.scalars(select(SystemicIssue).order_by(SystemicIssue.id)))


def linked_case_ids(session: Session, issue_id: int) -> set[int]:
    """The ids of the cases linked to an issue."""
    return set(
        session.scalars(
            select(SystemicIssueCase.case_id).where(SystemicIssueCase.issue_id == issue_id)
        )
    )


def issue_case_link(session: Session, issue_id: int, case_id: int) -> SystemicIssueCase | None:
    return session.get(SystemicIssueCase, (issue_id, case_id))


def issue_changes(session: Session, issue_id: int) -> list[SystemicChange]:
    """An issue's changes, by the day they were made."""
    return list(
        session.scalars(
            select(SystemicChange)
            .where(SystemicChange.issue_id == issue_id)
            .order_by(SystemicChange.changed_on, SystemicChange.id)
        )
    )


def changes_between(session: Session, start: date, end: date) -> list[SystemicChange]:
    """The changes made on ``start`` ≤ day < ``end``, by day."""
    return list(
        session.scalars(
            select(SystemicChange)
            .where(SystemicChange.changed_on >= start, SystemicChange.changed_on < end)
            .order_by(SystemicChange.changed_on)
        )
    )


def issue_cases(session: Session, issue_id: int, principal: Principal | None) -> list[Case]:
    """An issue's cases (``visible_cases``: those the caller may see, or all for None),
    by registration."""
    return list(
        session.scalars(
            select(Case)
            .join(SystemicIssueCase, SystemicIssueCase.case_id == Case.id)
            .where(SystemicIssueCase.issue_id == issue_id, visible_cases(principal))
            .order_by(Case.registered_at, Case.id)
        )
    )


def linked_case_counts(session: Session, issue_ids: list[int]) -> dict[int, int]:
    """Issue id → how many cases are linked to it (issues with none are left out)."""
    rows = session.execute(
        select(SystemicIssueCase.issue_id, func.count())
        .where(SystemicIssueCase.issue_id.in_(issue_ids))
        .group_by(SystemicIssueCase.issue_id)
    ).all()
    return {i: n for i, n in rows}


# --- orders and decisions (the sweep) -----------------------------------------------------


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def meeting(session: Session, meeting_id: int) -> Meeting | None:
    return session.get(Meeting, meeting_id)


def cases_of_order(session: Session, order_id: int) -> list[Case]:
    """The cases an order is about."""
    return list(
        session.scalars(
            select(Case)
            .join(SupervisionOrderCase, SupervisionOrderCase.case_id == Case.id)
            .where(SupervisionOrderCase.order_id == order_id)
        )
    )


def overdue_open_orders(session: Session, now: datetime) -> list[SupervisionOrder]:
    """The open orders past their deadline at ``now`` that have not reached the top of the
    tree, by id."""
    return list(
        session.scalars(
            select(SupervisionOrder)
            .where(
                SupervisionOrder.status == "open",
                SupervisionOrder.due_at <= now,
                SupervisionOrder.top_reached_at.is_(None),
            )
            .order_by(SupervisionOrder.id)
        ).all()
    )


def overdue_unnotified_decisions(session: Session, now: datetime) -> list[MeetingDecision]:
    """The open meeting decisions past their deadline at ``now`` not yet notified."""
    return list(
        session.scalars(
            select(MeetingDecision).where(
                MeetingDecision.status == "open",
                MeetingDecision.due_at <= now,
                MeetingDecision.overdue_notified_at.is_(None),
            )
        ).all()
    )
