"""Rules of supervision: issuing, answering, escalating and closing orders; the sweep that
escalates overdue orders and notifies overdue meeting decisions (the meetings themselves:
``supervision/meetings.py``).

Deadlines are working days on the jurisdiction's calendar (``sla.calendar``). An order
overdue at its deadline moves one level up the department tree (``Department.parent_id``)
and gets a fresh deadline of the same length counted from the deadline it missed, so the
escalations do not depend on how often the sweep runs; at the top of the tree it is
marked ``top_reached_at`` once. The sweep is idempotent: running it twice at the same
instant changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.cases.service import add_event
from bancheng.core import clock
from bancheng.core.errors import Conflict, Forbidden, Invalid
from bancheng.deadlines.service import on_provisional_recount, open_provisional
from bancheng.notify import messages
from bancheng.notify import service as notify
from bancheng.org.models import Department
from bancheng.org.scope import Principal, sees_unit
from bancheng.sla.calendar import load_calendar
from bancheng.sla.workdays import Deadline, WorkdayCalendar
from bancheng.supervision import repository
from bancheng.supervision.models import (
    MeetingDecision,
    SupervisionOrder,
    SupervisionOrderCase,
    SupervisionOrderEvent,
)
from bancheng.supervision.schemas import OrderIn

KIND_ZH = {"urge": "催办", "supervise": "督办"}


def _deadline(session: Session, start: date | datetime, workdays: int) -> Deadline:
    return load_calendar(session).add_workdays(start, workdays)


def decision_deadline(
    cal: WorkdayCalendar, start: date, workdays: int
) -> tuple[Deadline, datetime | None]:
    """A meeting decision's deadline, ``workdays`` working days from ``start``, and when
    its light turns yellow: one working day before (``None`` for a one-day limit)."""
    due = cal.add_workdays(start, workdays)
    yellow = cal.add_workdays(start, workdays - 1).due_at if workdays > 1 else None
    return due, yellow


def in_scope(principal: Principal, department_id: int) -> bool:
    return sees_unit(principal, department_id)


def active_department(session: Session, dept_id: int, code: str, field: str) -> Department:
    dept = repository.department(session, dept_id)
    if dept is None or not dept.active:
        raise Invalid(code, "部门不存在", field=field)
    return dept


def attach_cases(
    session: Session,
    cases: list[Case],
    link: Callable[[int], object],
    action: str,
    principal: Principal,
    reason: str,
    details: dict[str, Any],
) -> None:
    """Tie each case to an order or a meeting (``link(case_id)``: the row that does) and
    put an internal event on its timeline."""
    for case in cases:
        session.add(link(case.id))
        add_event(
            session,
            case,
            action,
            None,
            None,
            principal,
            reason=reason,
            details=details,
            public=False,
        )


def _order_webhook(session: Session, order: SupervisionOrder, event_type: str, tag: str) -> None:
    from bancheng.notify import webhooks

    webhooks.publish(
        session,
        event_type,
        f"order:{order.id}:{tag}",
        {
            "order": {
                "id": order.id,
                "kind": order.kind,
                "title": order.title,
                "status": order.status,
                "department_id": order.department_id,
                "level": order.level,
                "due_date": order.due_date.isoformat() if order.due_date else None,
            }
        },
        None,
    )


def _order_event(
    session: Session,
    order: SupervisionOrder,
    action: str,
    principal: Principal | None,
    text: str | None = None,
    department_id: int | None = None,
    **details: Any,
) -> None:
    session.add(
        SupervisionOrderEvent(
            order_id=order.id,
            at=clock.now(),
            action=action,
            actor_id=principal.user_id if principal else None,
            actor_name=principal.display_name if principal else "系统",
            department_id=department_id,
            text=text,
            details=details,
        )
    )


def cases_in_scope(session: Session, principal: Principal, case_ids: list[int]) -> list[Case]:
    return [case_repo.get_case(session, principal, cid) for cid in dict.fromkeys(case_ids)]


# --------------------------------------------------------------------------- orders


def issue_order(session: Session, principal: Principal, body: OrderIn) -> SupervisionOrder:
    cases = cases_in_scope(session, principal, body.case_ids)
    dept = active_department(
        session, body.department_id, "supervision.department_not_found", "department_id"
    )
    if not in_scope(principal, dept.id):
        raise Forbidden(
            "supervision.target_out_of_scope",
            "只能向本人数据范围内的部门下达催办、督办",
            department_id=dept.id,
        )
    now = clock.now()
    due = _deadline(session, now, body.deadline_workdays)
    order = SupervisionOrder(
        kind=body.kind,
        title=body.title.strip(),
        instructions=body.instructions.strip(),
        issuer_id=principal.user_id,
        issuer_name=principal.display_name,
        issuer_department_id=principal.department_id,
        original_department_id=dept.id,
        department_id=dept.id,
        deadline_workdays=body.deadline_workdays,
        level=0,
        status="open",
        issued_at=now,
        due_date=due.date,
        due_at=due.due_at,
        deadline_provisional=due.provisional,
    )
    session.add(order)
    session.flush()
    attach_cases(
        session,
        cases,
        lambda case_id: SupervisionOrderCase(order_id=order.id, case_id=case_id),
        body.kind,
        principal,
        order.title,
        {"order_id": order.id, "department_id": dept.id, "due_date": due.date.isoformat()},
    )
    _order_event(session, order, "issued", principal, order.instructions, dept.id)
    numbers = "、".join(c.number for c in cases)
    notify.notice(
        session,
        department_id=dept.id,
        kind="supervision_order",
        title=f"{KIND_ZH[body.kind]}：{order.title}",
        body=f"{order.instructions}\n涉及案件：{numbers}\n请于 {due.date.isoformat()} 前书面回复。",
        case_id=cases[0].id if len(cases) == 1 else None,
    )
    session.flush()
    params = {
        "order_kind": KIND_ZH[body.kind],
        "title": order.title,
        "deadline": due.date.isoformat(),
    }
    messages.to_unit_leads(
        session, dept.id, "staff.order_new", f"staff.order_new:order{order.id}", params
    )
    _order_webhook(session, order, "order.issued", "issued")
    return order


def _may_answer(principal: Principal, order: SupervisionOrder) -> bool:
    units = principal.unit_department_ids
    return order.department_id in units or order.original_department_id in units


def reply_order(
    session: Session, principal: Principal, order: SupervisionOrder, text: str
) -> SupervisionOrder:
    if order.status == "closed":
        raise Conflict("supervision.order_closed", "督办单已办结")
    if not _may_answer(principal, order):
        raise Forbidden("supervision.not_addressee", "只有被督办部门可以回复")
    now = clock.now()
    order.status = "replied"
    order.replied_at = now
    _order_event(session, order, "replied", principal, text.strip(), principal.department_id)
    for case in _order_case_rows(session, order):
        add_event(
            session,
            case,
            "order_reply",
            None,
            None,
            principal,
            reason=text.strip()[:500],
            details={"order_id": order.id},
            public=False,
        )
    notify.notice(
        session,
        department_id=order.issuer_department_id,
        kind="supervision_reply",
        title=f"{KIND_ZH[order.kind]}已回复：{order.title}",
        body=text.strip(),
    )
    session.flush()
    _order_webhook(session, order, "order.replied", f"reply{order.replied_at.isoformat()}")
    return order


def close_order(
    session: Session, principal: Principal, order: SupervisionOrder, note: str | None
) -> SupervisionOrder:
    if order.status == "closed":
        raise Conflict("supervision.order_closed", "督办单已办结")
    if order.status != "replied":
        raise Conflict("supervision.reply_required", "被督办部门回复后才能办结")
    order.status = "closed"
    order.closed_at = clock.now()
    _order_event(session, order, "closed", principal, note)
    session.flush()
    _order_webhook(session, order, "order.closed", "closed")
    return order


def _order_case_rows(session: Session, order: SupervisionOrder) -> list[Case]:
    return repository.cases_of_order(session, order.id)


def escalate_overdue(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Escalate every open order whose deadline has passed. Returns (escalations, orders
    that reached the top of the tree)."""
    now = now or clock.now()
    escalated = top = 0
    rows = repository.overdue_open_orders(session, now)
    for order in rows:
        while order.due_at <= now:
            current = repository.department(session, order.department_id)
            parent_id = current.parent_id if current else None
            if parent_id is None:
                order.top_reached_at = now
                _order_event(session, order, "top_reached", None, None, order.department_id)
                top += 1
                break
            from_dept = order.department_id
            due = _deadline(session, order.due_date, order.deadline_workdays)
            order.department_id = parent_id
            order.level += 1
            order.escalated_at = now
            order.due_date, order.due_at = due.date, due.due_at
            order.deadline_provisional = order.deadline_provisional or due.provisional
            _order_event(
                session,
                order,
                "escalated",
                None,
                f"逾期未回复，升级至上级部门（第 {order.level} 级）",
                parent_id,
                from_department_id=from_dept,
                level=order.level,
            )
            for case in _order_case_rows(session, order):
                add_event(
                    session,
                    case,
                    "order_escalated",
                    None,
                    None,
                    None,
                    reason=f"{KIND_ZH[order.kind]}逾期未回复，升级督办",
                    details={
                        "order_id": order.id,
                        "from_department_id": from_dept,
                        "department_id": parent_id,
                        "level": order.level,
                    },
                    public=False,
                )
            notify.notice(
                session,
                department_id=parent_id,
                kind="order_escalated",
                title=f"升级督办：{order.title}",
                body=(
                    f"下级部门逾期未回复{KIND_ZH[order.kind]}，请于 {due.date.isoformat()} 前回复。"
                ),
            )
            messages.to_unit_leads(
                session,
                parent_id,
                "staff.order_escalated",
                f"staff.order_escalated:order{order.id}:level{order.level}",
                {
                    "order_kind": KIND_ZH[order.kind],
                    "title": order.title,
                    "deadline": due.date.isoformat(),
                },
            )
            _order_webhook(session, order, "order.escalated", f"level{order.level}")
            escalated += 1
    session.flush()
    return escalated, top


def sweep(session: Session, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: escalate overdue orders, notify overdue meeting decisions once.
    Idempotent; the CLI (``bancheng supervision sweep``) and a scheduler call it."""
    now = now or clock.now()
    escalated, top = escalate_overdue(session, now)
    overdue = repository.overdue_unnotified_decisions(session, now)
    for d in overdue:
        d.overdue_notified_at = now
        notify.notice(
            session,
            department_id=d.responsible_department_id,
            kind="decision_overdue",
            title="会议议定事项逾期",
            body=f"{d.content}\n期限：{d.due_date.isoformat()}",
        )
    session.flush()
    return {"escalated": escalated, "top_reached": top, "decisions_overdue": len(overdue)}


def _order_due(cal: Any, order: SupervisionOrder) -> Deadline:
    """The order's deadline at its current level: ``deadline_workdays`` from issue, and as
    many again from each previous deadline for every escalation (as ``sweep`` does)."""
    due = cal.add_workdays(order.issued_at, order.deadline_workdays)
    provisional = due.provisional
    for _ in range(order.level):
        due = cal.add_workdays(due.date, order.deadline_workdays)
        provisional = provisional or due.provisional
    return Deadline(due.date, provisional, due.instant)


def recompute_provisional(session: Session) -> int:
    """After a calendar import: recompute the provisional deadlines of open orders and
    open meeting decisions. Returns how many changed."""
    cal = load_calendar(session)
    changed = 0
    for order in open_provisional(session, SupervisionOrder):
        due = _order_due(cal, order)
        before = (order.due_date, order.due_at, order.deadline_provisional)
        order.due_date, order.due_at = due.date, due.due_at
        order.deadline_provisional = due.provisional
        changed += before != (order.due_date, order.due_at, order.deadline_provisional)
    for d in open_provisional(session, MeetingDecision):
        start = d.deadline_start
        if start is None:  # decided before the start day was kept
            meeting = repository.meeting(session, d.meeting_id)
            assert meeting is not None
            start = meeting.held_on
        due, yellow = decision_deadline(cal, start, d.deadline_workdays)
        before = (d.due_date, d.due_at, d.deadline_provisional)
        d.due_date, d.due_at, d.deadline_provisional = due.date, due.due_at, due.provisional
        if yellow is not None:
            d.yellow_at = yellow
        changed += before != (d.due_date, d.due_at, d.deadline_provisional)
    session.flush()
    return changed


def install_hooks() -> None:
    """Supervision's deadlines are recounted after a calendar import (``deadlines.service``)."""
    on_provisional_recount("supervision", recompute_provisional)
