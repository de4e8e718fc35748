"""The 12345 work-order exchange, outbound side: what happens to an order's case goes back
to the platform under the platform's order number.

Every timeline event of a pushed kind on a case with a 12345 number becomes one outbox
message (channel ``webhook``, signed with ``BANCHENG_HOTLINE_SIGNING_SECRET`` by the
Standard Webhooks scheme), written in the transaction of the change itself: a change
that rolls back sends nothing, a committed one is delivered with retries, and each attempt
is in the outbox's delivery log. The event id makes the message's idempotency key, which
travels as ``webhook-id`` and ``event_id`` so the platform can drop a redelivery.

Nothing is sent for an order the platform has withdrawn, nor when no results URL is
configured (``BANCHENG_HOTLINE_RESULTS_URL``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.enums import BAD_RATINGS, LABELS_ZH
from bancheng.cases.hooks import hooks
from bancheng.cases.models import Case, CaseEvent
from bancheng.core import clock
from bancheng.core.config import get_settings
from bancheng.integrations import repository

# Timeline action → the result type the platform receives.
PUSHED: dict[str, str] = {
    "accept": "order.accepted",
    "return": "order.returned",
    # decide_objection's approval (同意退单): the objecting unit's 退单 goes through. A
    # rejection (objection_rejected) changes nothing for the platform and is not pushed.
    "objection_accepted": "order.returned",
    "request_extension": "order.extension_requested",
    "decide_extension": "order.extension_decided",
    "resolve": "order.resolved",
    "resolve_on_spot": "order.resolved",
    # Only an approval (the case resolved as an unreasonable or invalid demand) is pushed.
    "decide_end": "order.resolved",
    "give_feedback": "order.replied",
    "evaluate": "order.rated",
}
OUTCOME_LABELS_ZH = {
    "done": "已解决",
    "explained": "已解释说明",
    "cannot_by_policy": "政策不允许",
    "unreasonable": "不合理诉求",
    "invalid": "无效诉求",
}


def _unit(session: Session, dept_id: int | None) -> dict[str, str] | None:
    if dept_id is None:
        return None
    dept = repository.department(session, dept_id)
    return {"code": dept.code, "name": dept.name} if dept else None


def _data(session: Session, case: Case, event: CaseEvent) -> dict[str, Any]:
    d = event.details or {}
    a = event.action
    if a == "accept":
        return {
            "accepted_at": clock.to_local(event.at).isoformat(),
            "due_date": case.due_date.isoformat() if case.due_date else None,
        }
    if a == "return":
        return {
            "reason": event.reason,
            "suggested_unit": _unit(session, d.get("suggested_department_id")),
        }
    if a == "objection_accepted":
        row = repository.objection(session, d.get("objection_id"))
        assert row is not None
        return {
            "reason": row.reason,
            "suggested_unit": _unit(session, row.suggested_department_id),
            "objecting_unit": _unit(session, row.department_id),
            "decision_note": row.decision_note,
        }
    if a == "request_extension":
        return {
            "reason": event.reason,
            "current_due_date": case.due_date.isoformat() if case.due_date else None,
            "requested_due_date": d.get("new_due_date"),
            "extra_workdays": d.get("extra_workdays"),
        }
    if a == "decide_extension":
        return {"approved": d.get("approved"), "due_date": d.get("due_date"), "note": event.reason}
    if a in ("resolve", "resolve_on_spot", "decide_end"):
        return {
            "outcome": case.outcome,
            "outcome_label": OUTCOME_LABELS_ZH.get(case.outcome or "", ""),
            "reply_text": case.resolution,
            "policy_explanation": case.policy_explanation,
            "alternative": case.alternative,
            "alternative_owner": case.alternative_owner,
            "resolved_at": clock.to_local(event.at).isoformat(),
            "on_spot": a == "resolve_on_spot",
        }
    if a == "give_feedback":
        return {
            "reply_text": case.notification_text,
            "materials": list(case.notification_materials or []),
        }
    rating = d.get("rating") or case.rating or ""
    return {
        "rating": rating,
        "rating_label": LABELS_ZH["rating"].get(rating, rating),
        "satisfied": rating not in {r.value for r in BAD_RATINGS},
        "round": d.get("round"),
        "source": d.get("source", "window"),
    }


def result_body(session: Session, case: Case, event: CaseEvent, key: str) -> dict[str, Any]:
    return {
        "type": PUSHED[event.action],
        "event_id": key,
        "order_number": case.hotline_order_number,
        "case_number": case.number,
        "occurred_at": clock.to_local(event.at).isoformat(),
        "unit": _unit(session, event.actor_department_id or case.current_department_id),
        "operator": event.actor_name,
        "state": case.state,
        "data": _data(session, case, event),
    }


def on_event_added(session: Session, case: Case, event: CaseEvent) -> None:
    """Every timeline event as it is added (``cases.hooks``): a pushed kind on a 12345
    case goes back to the platform (``decide_end`` only when approved)."""
    if not case.hotline_order_number or event.action not in PUSHED:
        return
    if event.action == "decide_end" and not (event.details or {}).get("approved"):
        return
    queue_result(session, case, event)


def install_hooks() -> None:
    hooks.on_event_added(on_event_added)


def queue_result(session: Session, case: Case, event: CaseEvent) -> None:
    """A pushed action on a 12345 case (``on_event_added``) becomes an outbox message."""
    from bancheng.outbox.service import enqueue

    settings = get_settings()
    if not settings.hotline_results_url or not case.hotline_order_number:
        return
    status = repository.hotline_order_status(session, case.hotline_order_number)
    if status == "withdrawn":
        return
    session.flush()  # the event's id names the message
    key = f"hotline:{case.hotline_order_number}:{event.id}"
    enqueue(
        session,
        channel="webhook",
        kind=PUSHED[event.action].replace("order.", "hotline."),
        idempotency_key=key,
        recipient=settings.hotline_results_url,
        recipient_masked=settings.hotline_results_url,
        payload={"body": result_body(session, case, event, key)},
        secrets={"signing_secret": settings.hotline_signing_secret}
        if settings.hotline_signing_secret
        else None,
        case_id=case.id,
    )
