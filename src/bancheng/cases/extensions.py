"""Deadline extensions (延期): the unit that has a case asks for more working days before
its deadline passes, a supervisor approves or refuses, and an approval moves the case's
clock (``case_clock.recompute``). The lifecycle moves ``request_extension`` and
``decide_extension`` (``cases/moves.py``) use the guards and effects here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.cases import repository as repo
from bancheng.cases.models import Case
from bancheng.core.errors import Conflict, DomainError, Invalid
from bancheng.org.scope import Principal
from bancheng.sla.calendar import load_calendar
from bancheng.sla.models import DeadlineExtension


def request_refusal(
    case: Case, now: datetime, pending: DeadlineExtension | None
) -> DomainError | None:
    """Why the case cannot ask for an extension now, or ``None`` when it can: it has a
    deadline, the deadline has not passed, and no request is pending."""
    if case.due_date is None or case.due_at is None:
        return Conflict("sla.no_deadline", "该案件没有办理时限")
    if now >= case.due_at:
        return Conflict("sla.extension_after_deadline", "已超过办理时限，不能再申请延期")
    if pending is not None:
        return Conflict("sla.extension_pending", "已有待审批的延期申请")
    return None


def decide_refusal(pending: DeadlineExtension | None) -> DomainError | None:
    if pending is None:
        return Conflict("sla.no_pending_extension", "没有待审批的延期申请")
    return None


def request_extension(
    session: Session,
    principal: Principal,
    case: Case,
    new_date: date,
    reason: str | None,
    now: datetime,
    details: dict[str, Any],
) -> DeadlineExtension:
    """Ask for the case's resolution date to become ``new_date`` (``request_refusal`` has
    passed): at least one working day later."""
    assert case.due_date is not None
    if new_date <= case.due_date:
        raise Invalid(
            "sla.extension_not_later", "延期后的日期须晚于当前办结期限", field="new_due_date"
        )
    count = load_calendar(session).workdays_between(case.due_date, new_date)
    extra = count.workdays
    if extra < 1:
        raise Invalid("sla.extension_not_later", "延期须至少增加一个工作日", field="new_due_date")
    ext = DeadlineExtension(
        case_id=case.id,
        requested_by_id=principal.user_id,
        requested_at=now,
        reason=reason or "",
        old_due_date=case.due_date,
        new_due_date=new_date,
        extra_workdays=extra,
        deadline_provisional=count.provisional,
        status="pending",
    )
    session.add(ext)
    session.flush()
    details.update(extension_id=ext.id, new_due_date=new_date.isoformat(), extra_workdays=extra)
    return ext


def decide_extension(
    session: Session,
    principal: Principal,
    case: Case,
    approve: bool,
    note: str | None,
    now: datetime,
    details: dict[str, Any],
) -> DeadlineExtension:
    """Approve or refuse the pending request (``decide_refusal`` has passed). An approval
    after the original deadline has passed is refused: the request came too late to
    decide."""
    ext = repo.pending_extension(session, case.id)
    assert ext is not None
    if approve and case.due_at is not None and now >= case.due_at:
        raise Conflict("sla.extension_expired", "已超过原办理时限，延期申请不能再批准")
    ext.status = "approved" if approve else "refused"
    ext.decided_by_id = principal.user_id
    ext.decided_at = now
    ext.decision_note = note
    if approve:
        case.extension_workdays += ext.extra_workdays
        case_clock.recompute(session, case)
    details.update(
        extension_id=ext.id,
        approved=bool(approve),
        due_date=case.due_date.isoformat() if case.due_date else None,
    )
    return ext
