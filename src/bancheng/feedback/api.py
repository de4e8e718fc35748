"""Staff side of 好差评 and callbacks: rectifications, appeals, the callback workbench."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation
from bancheng.cases import repository as case_repo
from bancheng.cases import service as case_service
from bancheng.cases.enums import Kind
from bancheng.cases.models import Case
from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, db_session, require
from bancheng.feedback import service
from bancheng.feedback.models import CallbackAttempt, CallbackTask, Evaluation, Rectification
from bancheng.org.scope import Principal, unit_clause

router = api_router(prefix="/api/v1", tags=["feedback"])
DB = Annotated[Session, Depends(db_session)]
Conf = Annotated[Settings, Depends(get_settings)]

CALLBACK_SCRIPT = (
    "您好，这里是政务服务中心“办不成事”反映窗口。您此前反映的诉求（编号{number}）已办结，"
    "想了解一下：问题是否真正解决了？对办理的及时性、服务态度和办理结果是否满意？"
    "还有没有其他需要我们帮助的事项？"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RectificationOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    department_id: int
    due_date: date
    # The due date runs through a year the calendar does not know yet; recomputed on import.
    deadline_provisional: bool = False
    status: str
    note: str | None
    appeal_reason: str | None
    decision: str | None
    decision_note: str | None
    created_at: datetime


class NoteIn(Strict):
    note: str = Field(min_length=1, max_length=2000)


class AppealIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class AppealDecisionIn(Strict):
    uphold: bool
    note: str | None = Field(default=None, max_length=2000)


class AttemptOut(BaseModel):
    at: datetime
    outcome: str
    note: str | None


class CallbackOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    case_title: str
    reporter_name: str
    reporter_phone: str
    department_id: int
    reason: str
    round: int
    status: str
    failed_attempts: int
    confirmed_resolved: bool | None
    new_case_id: int | None
    script: str
    attempts: list[AttemptOut]
    created_at: datetime


class AttemptIn(Strict):
    outcome: Literal["reached", "unreachable", "refused"]
    note: str | None = Field(default=None, max_length=2000)


class ConfirmIn(Strict):
    resolved: bool
    note: str | None = Field(default=None, max_length=2000)


class RaiseCaseIn(Strict):
    kind: Kind = Kind.cannot_do
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10000)


class RaisedCase(BaseModel):
    id: int
    number: str


class EvaluationOut(BaseModel):
    id: int
    round: int
    rating: str
    timeliness: int | None
    attitude: int | None
    result: int | None
    comment: str | None
    source: str
    excluded: bool
    created_at: datetime


class SampleOut(BaseModel):
    reminded: int
    sampled: int


def _rect_out(session: Session, r: Rectification) -> RectificationOut:
    case = session.get(Case, r.case_id)
    return RectificationOut(
        id=r.id,
        case_id=r.case_id,
        case_number=case.number if case else "",
        department_id=r.department_id,
        due_date=r.due_date,
        deadline_provisional=r.deadline_provisional,
        status=r.status,
        note=r.note,
        appeal_reason=r.appeal_reason,
        decision=r.decision,
        decision_note=r.decision_note,
        created_at=r.created_at,
    )


def _cb_out(session: Session, t: CallbackTask) -> CallbackOut:
    case = session.get(Case, t.case_id)
    assert case is not None
    attempts = session.scalars(
        select(CallbackAttempt).where(CallbackAttempt.task_id == t.id).order_by(CallbackAttempt.id)
    ).all()
    return CallbackOut(
        id=t.id,
        case_id=case.id,
        case_number=case.number,
        case_title=case.title,
        reporter_name=case.reporter_name,
        reporter_phone=case.reporter_phone_masked,
        department_id=t.department_id,
        reason=t.reason,
        round=t.round,
        status=t.status,
        failed_attempts=t.failed_attempts,
        confirmed_resolved=t.confirmed_resolved,
        new_case_id=t.new_case_id,
        script=CALLBACK_SCRIPT.format(number=case.number),
        attempts=[AttemptOut(at=a.at, outcome=a.outcome, note=a.note) for a in attempts],
        created_at=t.created_at,
    )


def _scoped(stmt, column, principal: Principal):  # type: ignore[no-untyped-def]
    return stmt.where(unit_clause(principal, column))


# --- evaluations -------------------------------------------------------------------------


@router.get("/cases/{case_id}/evaluations", response_model=list[EvaluationOut])
def list_evaluations(
    case_id: int, session: DB, principal: Principal = require("case.read")
) -> list[EvaluationOut]:
    """The 好差评 rounds of a case (data scope of the case)."""
    case = case_repo.get_case(session, principal, case_id)
    rows = session.scalars(
        select(Evaluation).where(Evaluation.case_id == case.id).order_by(Evaluation.round)
    ).all()
    return [
        EvaluationOut(
            id=e.id,
            round=e.round,
            rating=e.rating,
            timeliness=e.timeliness,
            attitude=e.attitude,
            result=e.result,
            comment=e.comment,
            source=e.source,
            excluded=e.excluded,
            created_at=e.created_at,
        )
        for e in rows
    ]


# --- rectifications ----------------------------------------------------------------------


@router.get("/feedback/rectifications", response_model=list[RectificationOut])
def list_rectifications(
    session: DB,
    principal: Principal = require("feedback.read"),
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> list[RectificationOut]:
    stmt = _scoped(select(Rectification), Rectification.department_id, principal)
    if status:
        stmt = stmt.where(Rectification.status == status)
    rows = session.scalars(stmt.order_by(Rectification.id.desc()).limit(500)).all()
    return [_rect_out(session, r) for r in rows]


@router.post("/feedback/rectifications/{rect_id}/complete", response_model=RectificationOut)
def complete(
    rect_id: int, body: NoteIn, session: DB, principal: Principal = require("feedback.rectify")
) -> RectificationOut:
    return _rect_out(
        session, service.complete_rectification(session, principal, rect_id, body.note)
    )


@router.post("/feedback/rectifications/{rect_id}/appeal", response_model=RectificationOut)
def appeal(
    rect_id: int, body: AppealIn, session: DB, principal: Principal = require("feedback.rectify")
) -> RectificationOut:
    return _rect_out(session, service.appeal(session, principal, rect_id, body.reason))


@router.post("/feedback/rectifications/{rect_id}/decision", response_model=RectificationOut)
def decide(
    rect_id: int,
    body: AppealDecisionIn,
    session: DB,
    principal: Principal = require("feedback.appeal_decide"),
) -> RectificationOut:
    rect = service.decide_appeal(session, principal, rect_id, body.uphold, body.note)
    return _rect_out(session, rect)


# --- callbacks ---------------------------------------------------------------------------


@router.get("/callbacks", response_model=list[CallbackOut])
def list_callbacks(
    session: DB,
    principal: Principal = require("callback.work"),
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> list[CallbackOut]:
    stmt = _scoped(select(CallbackTask), CallbackTask.department_id, principal)
    if status:
        stmt = stmt.where(CallbackTask.status == status)
    rows = session.scalars(stmt.order_by(CallbackTask.id.desc()).limit(500)).all()
    return [_cb_out(session, t) for t in rows]


@router.post("/callbacks/sample", response_model=SampleOut)
def run_sample(
    session: DB, settings: Conf, principal: Principal = require("callback.work")
) -> SampleOut:
    """Run the reminder and sampling sweep now (it also runs periodically), through the
    job registry's lock."""
    from bancheng.core.jobs import run_job
    from bancheng.feedback import tasks

    return SampleOut(**run_job(session, tasks.JOB, settings, force=True, wait=True).result)


@router.post("/callbacks/{task_id}/attempts", response_model=CallbackOut)
def attempt(
    task_id: int,
    body: AttemptIn,
    session: DB,
    settings: Conf,
    principal: Principal = require("callback.work"),
) -> CallbackOut:
    task = service.record_attempt(session, settings, principal, task_id, body.outcome, body.note)
    return _cb_out(session, task)


@router.post("/callbacks/{task_id}/confirm", response_model=CallbackOut)
def confirm(
    task_id: int, body: ConfirmIn, session: DB, principal: Principal = require("callback.work")
) -> CallbackOut:
    return _cb_out(session, service.confirm(session, principal, task_id, body.resolved, body.note))


@router.post("/callbacks/{task_id}/reveal")
def reveal_phone(
    task_id: int, session: DB, principal: Principal = require("callback.work")
) -> dict[str, str | None]:
    """The full phone number to call (logged)."""
    task = service.get_task(session, principal, task_id)
    case = session.get(Case, task.case_id)
    assert case is not None
    log_operation(
        session,
        actor_id=principal.user_id,
        actor_name=principal.username,
        action="callback.reveal_phone",
        object_type="callback_task",
        object_id=task_id,
        outcome="ok",
        ip=principal.ip,
        details={"case_id": case.id},
    )
    return {"phone": case_service.reveal_reporter(case)["phone"]}


@router.post("/callbacks/{task_id}/case", status_code=201, response_model=RaisedCase)
def raise_case(
    task_id: int,
    body: RaiseCaseIn,
    session: DB,
    settings: Conf,
    principal: Principal = require("callback.work"),
) -> RaisedCase:
    """未诉先办: register a new case from the call (channel ``callback``)."""
    case = service.raise_case(
        session, settings, principal, task_id, body.title, body.description, body.kind.value
    )
    return RaisedCase(id=case.id, number=case.number)
