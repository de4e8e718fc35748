"""Joint meetings (联席会议) and task forces (工作专班): a meeting's decisions each name the
responsible unit and a deadline in working days, and are notified to that unit and its
lead; the unit (or a supervisor) completes them. Overdue decisions are notified by the
supervision sweep (``supervision/service.py`` ``sweep``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.errors import Conflict, Forbidden, Invalid
from bancheng.notify import messages
from bancheng.notify import service as notify
from bancheng.org.scope import Principal
from bancheng.sla.calendar import load_calendar
from bancheng.supervision.models import Meeting, MeetingCase, MeetingDecision
from bancheng.supervision.schemas import MeetingIn
from bancheng.supervision.service import (
    active_department,
    attach_cases,
    cases_in_scope,
    decision_deadline,
)

MEETING_KIND_ZH = {"joint_meeting": "联席会议", "task_force": "工作专班"}


def decision_light(d: MeetingDecision, now: datetime | None = None) -> str | None:
    """Green until the last working day, yellow on it, red once overdue; None when done."""
    if d.status != "open":
        return None
    now = now or clock.now()
    if now >= d.due_at:
        return "red"
    if now >= d.yellow_at:
        return "yellow"
    return "green"


def create_meeting(session: Session, principal: Principal, body: MeetingIn) -> Meeting:
    # Everything is checked before anything is written.
    for i, d in enumerate(body.decisions):
        missing = [
            f
            for f, v in (
                ("responsible_department_id", d.responsible_department_id),
                ("deadline_workdays", d.deadline_workdays),
            )
            if v is None
        ]
        if missing:
            raise Invalid(
                "supervision.decision_incomplete",
                "每项议定事项都必须明确责任单位和办理期限（工作日）",
                index=i,
                fields=missing,
            )
        assert d.deadline_workdays is not None and d.responsible_department_id is not None
        if not 1 <= d.deadline_workdays <= 120:
            raise Invalid(
                "supervision.decision_incomplete",
                "办理期限须为 1 至 120 个工作日",
                index=i,
                fields=["deadline_workdays"],
            )
        active_department(
            session,
            d.responsible_department_id,
            "supervision.department_not_found",
            f"decisions[{i}].responsible_department_id",
        )
    for dept_id in body.participant_department_ids:
        active_department(
            session, dept_id, "supervision.department_not_found", "participant_department_ids"
        )
    cases = cases_in_scope(session, principal, body.case_ids)

    now = clock.now()
    meeting = Meeting(
        kind=body.kind,
        title=body.title.strip(),
        convener_department_id=principal.department_id,
        convened_by_id=principal.user_id,
        convened_by_name=principal.display_name,
        held_on=body.held_on,
        location=body.location,
        participant_department_ids=list(dict.fromkeys(body.participant_department_ids)),
        summary=body.summary,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    attach_cases(
        session,
        cases,
        lambda case_id: MeetingCase(meeting_id=meeting.id, case_id=case_id),
        body.kind,
        principal,
        meeting.title,
        {"meeting_id": meeting.id, "held_on": body.held_on.isoformat()},
    )
    cal = load_calendar(session)
    start = max(body.held_on, clock.local_today())
    for i, d in enumerate(body.decisions, start=1):
        assert d.deadline_workdays is not None and d.responsible_department_id is not None
        due, yellow = decision_deadline(cal, start, d.deadline_workdays)
        session.add(
            MeetingDecision(
                meeting_id=meeting.id,
                seq=i,
                content=d.content.strip(),
                responsible_department_id=d.responsible_department_id,
                deadline_workdays=d.deadline_workdays,
                deadline_start=start,
                due_date=due.date,
                due_at=due.due_at,
                deadline_provisional=due.provisional,
                yellow_at=yellow or now,
                status="open",
            )
        )
        notify.notice(
            session,
            department_id=d.responsible_department_id,
            kind="meeting_decision",
            title=f"{MEETING_KIND_ZH[body.kind]}议定事项：{meeting.title}",
            body=f"{d.content.strip()}\n请于 {due.date.isoformat()} 前办结。",
        )
        messages.to_unit_leads(
            session,
            d.responsible_department_id,
            "staff.meeting_decision",
            f"staff.meeting_decision:meeting{meeting.id}:{i}",
            {
                "title": meeting.title,
                "content": d.content.strip(),
                "deadline": due.date.isoformat(),
            },
        )
    session.flush()
    return meeting


def complete_decision(
    session: Session, principal: Principal, decision: MeetingDecision, note: str | None
) -> MeetingDecision:
    if decision.status != "open":
        raise Conflict("supervision.decision_done", "该事项已办结")
    if principal.role not in ("supervisor", "leader") and (
        decision.responsible_department_id not in principal.unit_department_ids
    ):
        raise Forbidden("supervision.not_responsible", "只有责任单位或督查人员可以办结该事项")
    decision.status = "done"
    decision.done_at = clock.now()
    decision.done_note = note
    session.flush()
    return decision
