"""The 12345 work-order exchange, inbound side: a work order pushed by the hotline platform
becomes a case (channel ``transfer_12345``), registered like any other case and keyed in
``hotline_orders`` by the platform's order number.

- The same order sent again with the same content changes nothing (idempotent replay).
- Sent again with other content (the platform re-dispatches it, 重派): the changes are
  recorded in the timeline, a new time limit moves the deadline, and a case that was
  already resolved or withdrawn is opened again (state ``reopened``, clock restarted).
- Withdrawn by the platform (撤单): an open case is closed with the reason; nothing more is
  sent back for it.

The order's time limit (working days from the call, or a deadline) becomes the case's
fixed deadline; without one the matching SLA policy sets it, as for any case.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.cases.enums import OPEN_STATES, Channel, Kind, State
from bancheng.cases.lifecycle import transition
from bancheng.cases.models import Case
from bancheng.cases.schemas import CaseCreate, LocationIn, ReporterIn
from bancheng.cases.service import add_event, create_case
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Invalid, NotFound, present
from bancheng.integrations import repository
from bancheng.integrations.models import HotlineOrder
from bancheng.integrations.schemas import HotlineOrderIn
from bancheng.org.scope import Principal
from bancheng.sla.calendar import load_calendar

# 诉求类型 of a hotline order → the case's kind (codes are accepted too).
APPEAL_TYPES: dict[str, Kind] = {
    "咨询": Kind.consultation,
    "投诉": Kind.complaint,
    "举报": Kind.report,
    "求助": Kind.help,
    "建议": Kind.suggestion,
    "意见建议": Kind.suggestion,
    "办不成事": Kind.cannot_do,
    "其他": Kind.cannot_do,
    **{k.value: k for k in Kind},
}
URGENCY_LABELS_ZH = {"normal": "一般", "urgent": "紧急", "very_urgent": "特急"}
STATUS_LABELS_ZH = {"active": "办理中", "withdrawn": "已撤单"}


def _fingerprint(order: HotlineOrderIn) -> str:
    raw = json.dumps(order.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _kind(appeal_type: str) -> Kind:
    kind = APPEAL_TYPES.get(appeal_type.strip())
    if kind is None:
        raise Invalid(
            "hotline.appeal_type_unknown",
            f"无法识别的诉求类型：{appeal_type}",
            field="appeal_type",
            known=sorted(k for k in APPEAL_TYPES if not k.isascii()),
        )
    return kind


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.SHANGHAI)


def fixed_deadline(session: Session, order: HotlineOrderIn) -> datetime | None:
    """The deadline the order's own time limit sets, or None (the policy decides)."""
    if order.time_limit_workdays is not None and order.due_at is not None:
        raise Invalid(
            "hotline.time_limit_ambiguous",
            "办理时限只能给出工作日数或截止时间之一",
            field="time_limit_workdays",
        )
    if order.due_at is not None:
        due = _aware(order.due_at)
        if due <= _aware(order.call_time):
            raise Invalid("hotline.due_before_call", "办理截止时间早于来电时间", field="due_at")
        return due
    if order.time_limit_workdays is not None:
        return (
            load_calendar(session)
            .add_workdays(_aware(order.call_time), order.time_limit_workdays)
            .due_at
        )
    return None


def _details(order: HotlineOrderIn) -> dict[str, Any]:
    return {
        "order_number": order.order_number,
        "call_time": _aware(order.call_time).isoformat(),
        "appeal_type": order.appeal_type,
        "urgency": order.urgency,
        "dispatching_unit": order.dispatching_unit,
        "attachments": [{"url": str(a.url), "name": a.name} for a in order.attachments],
    }


def find_order(session: Session, order_number: str, *, lock: bool = False) -> HotlineOrder:
    return present(
        repository.hotline_order(session, order_number, lock=lock),
        NotFound("hotline.order_not_found", "未找到该12345工单"),
    )


def receive(
    session: Session, settings: Settings, principal: Principal, order: HotlineOrderIn
) -> tuple[HotlineOrder, Case, str]:
    """Register, replay or update an order. Returns the register row, the case and what
    happened: ``created``, ``replayed`` (same content again), ``updated`` (re-sent with
    changes) or ``reopened`` (re-sent after it was resolved or withdrawn)."""
    kind = _kind(order.appeal_type)
    fp = _fingerprint(order)
    due = fixed_deadline(session, order)
    now = clock.now()
    existing = repository.hotline_order(session, order.order_number, lock=True)
    if existing is None:
        location = None
        if order.address or order.latitude is not None or order.longitude is not None:
            location = LocationIn(
                address=order.address,
                latitude=order.latitude,
                longitude=order.longitude,
                datum=order.datum,
            )
        data = CaseCreate(
            channel=Channel.transfer_12345,
            kind=kind,
            title=order.title or order.content[:30],
            description=order.content,
            reporter=ReporterIn(name=order.caller_name, phone=order.caller_phone),
            location=location,
        )
        case, _ = create_case(
            session,
            settings,
            principal,
            data,
            location_source="hotline_12345",
            hotline_order_number=order.order_number,
            fixed_due_at=due,
        )
        row = HotlineOrder(
            order_number=order.order_number,
            case_id=case.id,
            status="active",
            fingerprint=fp,
            times_received=1,
            payload=order.model_dump(mode="json"),
            received_at=now,
            updated_at=now,
        )
        session.add(row)
        add_event(
            session,
            case,
            "hotline_received",
            case.state,
            case.state,
            principal,
            details=_details(order),
            public=False,
        )
        session.flush()
        return row, case, "created"

    found = repository.case(session, existing.case_id, lock=True)
    assert found is not None
    case = found
    if existing.fingerprint == fp and existing.status == "active":
        return existing, case, "replayed"
    before = existing.payload or {}
    after = order.model_dump(mode="json")
    changed = sorted(k for k in after if before.get(k) != after[k])
    existing.fingerprint = fp
    existing.payload = after
    existing.times_received += 1
    existing.updated_at = now
    outcome = "updated"
    from_state = case.state
    if existing.status == "withdrawn" or State(case.state) not in OPEN_STATES:
        existing.status = "active"
        existing.withdrawn_at = None
        existing.withdraw_reason = None
        transition(case, State.reopened, now)
        case.reopen_count += 1
        case.closed_at = None
        case.resolved_at = None
        case.outcome = None
        case.rating = None
        case.fixed_due_at = due
        case_clock.start_clock(session, case, now)
        outcome = "reopened"
    elif due != case.fixed_due_at:
        case.fixed_due_at = due
        case_clock.recompute(session, case)
    case.updated_at = now
    add_event(
        session,
        case,
        "hotline_resent",
        from_state,
        case.state,
        principal,
        details={
            **_details(order),
            "changed": changed,
            "times_received": existing.times_received,
            "due_date": case.due_date.isoformat() if case.due_date else None,
        },
        public=False,
    )
    session.flush()
    return existing, case, outcome


def withdraw(
    session: Session, principal: Principal, order_number: str, reason: str
) -> tuple[HotlineOrder, Case]:
    """The platform takes the order back (撤单). An open case is closed with the reason;
    a case already resolved keeps its result. Withdrawing twice changes nothing."""
    row = find_order(session, order_number, lock=True)
    case = repository.case(session, row.case_id, lock=True)
    assert case is not None
    if row.status == "withdrawn":
        return row, case
    now = clock.now()
    row.status = "withdrawn"
    row.withdrawn_at = now
    row.withdraw_reason = reason
    row.updated_at = now
    before = case.state
    if State(case.state) in OPEN_STATES:
        transition(case, State.closed, now)
        case.closed_at = now
        case.suspended_at = None
        case.frozen_light = None
    case.updated_at = now
    add_event(
        session,
        case,
        "hotline_withdrawn",
        before,
        case.state,
        principal,
        reason=reason,
        details={"order_number": order_number},
        public=False,
    )
    session.flush()
    return row, case


def ensure_active(row: HotlineOrder) -> None:
    if row.status != "active":
        raise Conflict("hotline.order_withdrawn", "该12345工单已被撤回")
