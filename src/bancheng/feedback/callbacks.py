"""Callbacks (回访): a task for every dissatisfied evaluation (``ensure_callback``) and for
a stable random sample of closed cases (``sample_closed``, rates per unit); attempts,
confirming the outcome with the reporter, and 未诉先办 (a new case found on the call)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bancheng.cases import service as case_service
from bancheng.cases.enums import Channel
from bancheng.cases.models import Case
from bancheng.cases.schemas import CaseCreate, ReporterIn
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Invalid
from bancheng.feedback import records, repository
from bancheng.feedback.models import CallbackAttempt, CallbackTask
from bancheng.org.scope import Principal

ATTEMPT_OUTCOMES = ("reached", "unreachable", "refused")


def ensure_callback(session: Session, case: Case, reason: str, rnd: int = 1) -> CallbackTask:
    found = repository.callback_task(session, case.id, reason, rnd)
    if found is not None:
        return found
    task = CallbackTask(
        case_id=case.id,
        department_id=case.current_department_id,
        reason=reason,
        round=rnd,
        status="open",
        failed_attempts=0,
        created_at=clock.now(),
    )
    session.add(task)
    session.flush()
    return task


def sample_rates(settings: Settings) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in settings.callback_sample_rates.split(","):
        if ":" in part:
            code, rate = part.rsplit(":", 1)
            out[code.strip()] = float(rate)
    return out


def sample_fraction(number: str, secret: str) -> float:
    """A stable number in [0, 1) for a case: sampled when below the department's rate."""
    digest = hashlib.sha256(f"{secret}:callback:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_sampled(number: str, rate: float, secret: str) -> bool:
    return sample_fraction(number, secret) < rate


def sample_closed(
    session: Session, settings: Settings, since: datetime | None = None
) -> list[CallbackTask]:
    """Create sample callbacks for closed cases (closed since ``since``, default the last
    30 days). Deterministic per case, so running it again changes nothing."""
    since = since or clock.now() - timedelta(days=30)
    rates = sample_rates(settings)
    codes = repository.department_codes(session)
    rows = repository.closed_unsampled(session, since)
    made = []
    for case in rows:
        rate = rates.get(codes.get(case.current_department_id, ""), settings.callback_sample_rate)
        if is_sampled(case.number, rate, settings.secret_key):
            made.append(ensure_callback(session, case, "sample"))
    return made


def get_task(session: Session, principal: Principal, task_id: int) -> CallbackTask:
    return repository.visible_or_raise(
        session, principal, CallbackTask, task_id, "callback.not_found", "回访任务不存在"
    )


def record_attempt(
    session: Session,
    settings: Settings,
    principal: Principal,
    task_id: int,
    outcome: str,
    note: str | None,
) -> CallbackTask:
    task = get_task(session, principal, task_id)
    if task.status != "open":
        raise Conflict("callback.closed", "该回访任务已结束")
    if outcome not in ATTEMPT_OUTCOMES:
        raise Invalid("callback.outcome_invalid", "回访结果无效", field="outcome")
    now = clock.now()
    session.add(
        CallbackAttempt(
            task_id=task.id, at=now, outcome=outcome, note=note, user_id=principal.user_id
        )
    )
    if outcome == "reached":
        task.status = "reached"
    elif outcome == "refused":
        task.status = "refused"
        task.closed_at = now
    else:
        task.failed_attempts += 1
        if task.failed_attempts >= settings.callback_max_attempts:
            task.status = "unreachable"
            task.closed_at = now
    session.flush()
    return task


def confirm(
    session: Session, principal: Principal, task_id: int, resolved: bool, note: str | None
) -> CallbackTask:
    task = get_task(session, principal, task_id)
    if task.status != "reached":
        raise Conflict("callback.not_reached", "须先联系上反映人才能确认办理结果")
    task.confirmed_resolved = resolved
    task.confirm_note = (note or "").strip() or None
    task.closed_at = clock.now()
    case = repository.case_of(session, task.case_id)
    assert case is not None
    case_service.add_event(
        session,
        case,
        "callback",
        case.state,
        case.state,
        principal,
        details={"task_id": task.id, "confirmed_resolved": resolved},
        public=False,
    )
    session.flush()
    if task.reason == "bad_review":
        ev = repository.evaluation_of_round(session, task.case_id, task.round)
        records.push(session, ev, "revisited")
    return task


def raise_case(
    session: Session,
    settings: Settings,
    principal: Principal,
    task_id: int,
    title: str,
    description: str,
    kind: str,
) -> Case:
    """未诉先办: a new case found during the call, with the reporter of the called case."""
    task = get_task(session, principal, task_id)
    if task.new_case_id is not None:
        existing = repository.case_of(session, task.new_case_id)
        assert existing is not None
        return existing
    old = repository.case_of(session, task.case_id)
    assert old is not None
    phone = case_service.reveal_reporter(old)["phone"] or ""
    data = CaseCreate(
        channel=Channel.callback,
        kind=kind,  # type: ignore[arg-type]
        title=title,
        description=description,
        reporter=ReporterIn(
            type=old.reporter_type,  # type: ignore[arg-type]
            name=old.reporter_name,
            phone=phone,
            org_name=old.reporter_org_name,
            credit_code=old.reporter_credit_code,
        ),
        matter_id=old.matter_id,
    )
    case, _ = case_service.create_case(session, settings, principal, data)
    task.new_case_id = case.id
    session.flush()
    return case
