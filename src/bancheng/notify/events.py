"""The one map from what happened to who is told (docs/notifications.md lists it).
Called by the services in the transaction of the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.cases.hooks import hooks
from bancheng.cases.models import Case, CaseEvent
from bancheng.core.config import Settings
from bancheng.deadlines import sweeper
from bancheng.notify import messages as m
from bancheng.notify import repository, webhooks
from bancheng.notify.service import notices_from_select
from bancheng.org import repository as org_repository


def _unit_name(session: Session, dept_id: int | None) -> str:
    d = org_repository.department(session, dept_id) if dept_id else None
    return d.name if d else ""


def case_data(case: Case, event: CaseEvent) -> dict[str, Any]:
    """What a webhook receives about a case: no personal data of the reporter."""
    return {
        "case": {
            "id": case.id,
            "number": case.number,
            "state": case.state,
            "kind": case.kind,
            "channel": case.channel,
            "current_department_id": case.current_department_id,
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "rating": case.rating,
        },
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "at": event.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def on_case_event(session: Session, settings: Settings, case: Case, event: CaseEvent) -> None:
    """A case moved (``perform``), was registered or rated. ``event`` is flushed."""
    if m.suppressed(session):
        return
    key = f"case_event:{case.number}:{event.id}"
    action = event.action
    d = event.details or {}
    if action == "register":
        m.to_reporter(
            session,
            settings,
            case,
            "reporter.accepted",
            f"reporter.accepted:{key}",
            {"deadline": m.day(case.due_date)},
            with_link=True,
        )
    elif action == "dispatch":
        m.to_reporter(
            session,
            settings,
            case,
            "reporter.dispatched",
            f"reporter.dispatched:{key}",
            {"unit": d.get("department_name", ""), "deadline": m.day(case.due_date)},
        )
        for co in d.get("co_handlers") or []:
            for u in m.unit_handlers(session, co["department_id"]):
                m.to_user(
                    session,
                    u,
                    "staff.co_handling_requested",
                    f"staff.co_handling_requested:{key}:{co['department_id']}",
                    {
                        "number": case.number,
                        "unit": d.get("department_name", ""),
                        "deadline": co["due_date"],
                    },
                    case.id,
                )
    elif action == "suspend":
        m.to_reporter(
            session,
            settings,
            case,
            "reporter.materials",
            f"reporter.materials:{key}",
            {"materials": event.reason or ""},
            with_link=True,
        )
    elif action == "give_feedback":
        materials = list(case.notification_materials or [])
        text = case.notification_text or ""
        if materials:
            text = f"{text}（所需材料：{'、'.join(str(x) for x in materials)}）"
        m.to_reporter(
            session,
            settings,
            case,
            "reporter.resolved",
            f"reporter.resolved:{key}",
            {
                "notification": text,
                "materials": materials,
                "unit": _unit_name(session, case.current_department_id),
            },
        )
        m.to_reporter(
            session,
            settings,
            case,
            "reporter.rating_invite",
            f"reporter.rating_invite:{key}",
            {},
            with_link=True,
        )
    elif action == "object":
        _on_objection(session, case, event, key)
    elif action == "request_end":
        # 不合理/无效诉求: the supervisors who may approve the end.
        kind = LABELS_ZH["outcome"].get(str(d.get("end_as", "")), "")
        for u in m.supervisors_for(session, case.current_department_id):
            m.to_user(
                session,
                u,
                "staff.end_requested",
                f"staff.end_requested:{key}",
                {"number": case.number, "end_as": kind, "basis": event.reason or ""},
                case.id,
            )
    elif action == "request_extension":
        for u in m.supervisors_for(session, case.current_department_id):
            m.to_user(
                session,
                u,
                "staff.extension_requested",
                f"staff.extension_requested:{key}",
                {"number": case.number, "deadline": d.get("new_due_date", "")},
                case.id,
            )
    elif action == "decide_extension":
        ext = repository.extension(session, d.get("extension_id"))
        requester = (
            org_repository.user(session, ext.requested_by_id)
            if ext and ext.requested_by_id
            else None
        )
        if requester is not None:
            m.to_user(
                session,
                requester,
                "staff.extension_decided",
                f"staff.extension_decided:{key}",
                {
                    "number": case.number,
                    "decision": "已批准" if d.get("approved") else "未获批准",
                    "deadline": d.get("due_date") or m.day(case.due_date),
                },
                case.id,
            )

    data = case_data(case, event)
    if action == "register":
        webhooks.publish(session, "case.created", key, data, case.id)
    elif event.from_state != event.to_state:
        webhooks.publish(session, "case.state_changed", key, data, case.id)
    if action in ("resolve", "resolve_on_spot") or (action == "decide_end" and d.get("approved")):
        webhooks.publish(session, "case.resolved", key, data, case.id)
    if action == "evaluate":
        webhooks.publish(session, "case.evaluated", key, data, case.id)


def _on_objection(session: Session, case: Case, event: CaseEvent, key: str) -> None:
    """退单: the clerk who made the last dispatch, and the supervisors over the unit."""
    dispatcher_id = repository.last_dispatcher_id(session, case.id)
    people = m.supervisors_for(session, case.current_department_id)
    dispatcher = org_repository.user(session, dispatcher_id) if dispatcher_id else None
    if dispatcher is not None and dispatcher.active and dispatcher not in people:
        people.insert(0, dispatcher)
    params = {
        "number": case.number,
        "unit": _unit_name(session, case.current_department_id),
        "reason": event.reason or "",
    }
    for u in people:
        m.to_user(
            session, u, "staff.objection_raised", f"staff.objection_raised:{key}", params, case.id
        )


def on_photo_from_reporter(session: Session, case: Case, attachment_id: int) -> None:
    """A photo from the phone page (补正 materials): the people working on the case."""
    for u in m.case_workers(session, case):
        m.to_user(
            session,
            u,
            "staff.material_uploaded",
            f"staff.material_uploaded:{case.number}:att{attachment_id}",
            {"number": case.number},
            case.id,
        )


def on_light(session: Session, case: Case, light: str, at_key: str) -> None:
    """A case turned yellow (to its workers) or red (to its unit's lead)."""
    params = {
        "number": case.number,
        "title": case.title,
        "deadline": m.day(case.due_date),
        "unit": _unit_name(session, case.current_department_id),
    }
    kind = f"staff.light_{light}"
    people = (
        m.case_workers(session, case)
        if light == "yellow"
        else m.unit_leads(session, case.current_department_id)
    )
    for u in people:
        m.to_user(session, u, kind, f"{kind}:case{case.id}:{at_key}", params, case.id)


def install_hooks() -> None:
    """The notices of a case's events (``cases.hooks``) and of the deadline sweep's turns
    (``deadlines.sweeper``)."""
    hooks.on_notice(on_case_event)
    sweeper.unit_notices.provide(notices_from_select)
    sweeper.light_notices.provide(on_light)
