"""Co-handling (协办) and objections to a dispatch (退单): the units named beside the lead,
their replies and deadlines, and the pending objection a dispatching side decides. The
moves that use them (``dispatch``, ``co_reply``, ``object``, ``decide_objection``, ...)
are in ``cases/moves.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, object_session

from bancheng.cases import repository as repo
from bancheng.cases.models import Case, CaseCoHandler, DispatchObjection
from bancheng.cases.schemas import ActionIn
from bancheng.cases.service import department, department_names
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Invalid
from bancheng.org.scope import Principal
from bancheng.sla.calendar import load_calendar


def co_handlers_of(case: Case) -> list[CaseCoHandler]:
    """The case's co-handling assignments, oldest first (loaded once per session)."""
    session = object_session(case)
    if session is None or case.id is None:
        return []
    return repo.co_handlers(session, case.id)


def outstanding(case: Case) -> list[CaseCoHandler]:
    """The co-handling units whose reply is still awaited."""
    return [c for c in co_handlers_of(case) if c.status == "pending"]


def co_departments(session: Session, ids: list[int], lead_id: int) -> list[int]:
    if len(set(ids)) != len(ids):
        raise Invalid(
            "case.co_handler_duplicate", "协办单位不能重复选择", field="co_department_ids"
        )
    if lead_id in ids:
        raise Invalid(
            "case.co_handler_is_lead", "主办单位不能同时作为协办单位", field="co_department_ids"
        )
    for ident in ids:
        department(session, ident, "co_department_ids")
    return ids


def assign_co_handlers(
    session: Session,
    settings: Settings,
    principal: Principal,
    case: Case,
    ids: list[int],
    workdays: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Name the co-handling units of a dispatch, each with its reply deadline. Earlier
    assignments still awaiting a reply end: this dispatch replaces them."""
    cancel_co_handlers(case)
    days = workdays or settings.co_handling_reply_workdays
    names = department_names(session, set(ids))
    out = []
    for ident in ids:
        deadline = load_calendar(session).add_workdays(now, days)
        session.add(
            CaseCoHandler(
                case_id=case.id,
                department_id=ident,
                status="pending",
                assigned_at=now,
                assigned_by_id=principal.user_id or None,
                workdays=days,
                due_date=deadline.date,
                due_at=deadline.due_at,
                deadline_provisional=deadline.provisional,
            )
        )
        repo.involve(session, case.id, ident)
        out.append(
            {
                "department_id": ident,
                "department_name": names.get(ident, ""),
                "due_date": deadline.date.isoformat(),
            }
        )
    session.flush()
    return out


def close_co_handling(
    session: Session, case: Case, body: ActionIn, details: dict[str, Any]
) -> None:
    """The lead resolves: replies still outstanding need the lead's reason, and lapse."""
    awaited = outstanding(case)
    if not awaited:
        return
    names = department_names(session, {c.department_id for c in awaited})
    note = (body.co_handling_note or "").strip()
    if not note:
        raise Conflict(
            "case.co_replies_outstanding",
            "协办单位尚未全部回复："
            + "、".join(names.get(c.department_id, "") for c in awaited)
            + "；请等待回复，或说明不等待回复即办结的理由",
            field="co_handling_note",
            departments=[c.department_id for c in awaited],
        )
    for c in awaited:
        c.status = "lapsed"
    details["co_handling_note"] = note
    details["co_replies_outstanding"] = [names.get(c.department_id, "") for c in awaited]


def lapse_co_handlers(session: Session, case: Case, details: dict[str, Any]) -> None:
    """The case is resolved without the lead's resolve: replies still awaited lapse (the
    event names the units)."""
    awaited = outstanding(case)
    if awaited:
        names = department_names(session, {c.department_id for c in awaited})
        details["co_replies_outstanding"] = [names.get(c.department_id, "") for c in awaited]
        for c in awaited:
            c.status = "lapsed"


def co_reply(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    now: datetime,
    details: dict[str, Any],
) -> None:
    text = body.reply or ""
    mine = [c for c in outstanding(case) if c.department_id in principal.unit_department_ids]
    if body.co_handler_id is not None:
        mine = [c for c in mine if c.id == body.co_handler_id]
        if not mine:
            raise Invalid(
                "case.co_handler_not_found", "没有待本单位回复的该项协办", field="co_handler_id"
            )
    elif len(mine) > 1:
        raise Invalid(
            "case.co_handler_id_required", "本单位有多项待回复的协办，请选择", field="co_handler_id"
        )
    row = mine[0]
    row.status = "replied"
    row.reply = text.strip()
    row.replied_at = now
    row.replied_by_id = principal.user_id or None
    row.replied_by_name = principal.display_name
    details.update(
        co_handler_id=row.id,
        department_id=row.department_id,
        department_name=department_names(session, {row.department_id}).get(row.department_id, ""),
        late=now >= row.due_at,
        reply=row.reply,
    )


def raise_objection(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    reason: str | None,
    now: datetime,
    details: dict[str, Any],
) -> None:
    suggested = None
    if body.suggested_department_id is not None:
        suggested = department(session, body.suggested_department_id, "suggested_department_id")
        if suggested.id == case.current_department_id:
            raise Invalid(
                "case.return_to_self", "建议承办单位不能是本单位", field="suggested_department_id"
            )
    row = DispatchObjection(
        case_id=case.id,
        department_id=case.current_department_id,
        reason=reason or "",
        suggested_department_id=suggested.id if suggested else None,
        status="pending",
        raised_at=now,
        raised_by_id=principal.user_id or None,
        raised_by_name=principal.display_name,
    )
    session.add(row)
    session.flush()
    details.update(objection_id=row.id, department_id=row.department_id)
    if suggested is not None:
        details.update(
            suggested_department_id=suggested.id, suggested_department_name=suggested.name
        )


def decide_objection(
    session: Session,
    principal: Principal,
    case: Case,
    approve: bool,
    reason: str | None,
    now: datetime,
    details: dict[str, Any],
) -> DispatchObjection:
    """Record the decision on the pending objection (the ``decide_objection`` guard has
    checked there is one, raised by another unit)."""
    row = repo.pending_objection(session, case.id)
    assert row is not None
    row.status = "accepted" if approve else "rejected"
    row.decided_at = now
    row.decided_by_id = principal.user_id or None
    row.decided_by_name = principal.display_name
    row.decision_note = reason
    details.update(objection_id=row.id, approved=bool(approve), department_id=row.department_id)
    return row


def cancel_co_handlers(case: Case) -> None:
    """The case goes back to be dispatched anew (or is): replies still awaited end."""
    for c in outstanding(case):
        c.status = "cancelled"


def lapse_objection(session: Session, case: Case) -> None:
    """The case leaves the objecting unit by another move: its objection is moot."""
    row = repo.pending_objection(session, case.id)
    if row is not None:
        row.status = "lapsed"
