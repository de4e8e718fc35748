"""The deliveries page: every outbox row with its state, attempts and last error, its
attempts (the delivery log), and a retry for a dead one. Recipients are masked; private
links inside a message are shown as ``***``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation
from bancheng.cases.models import Case
from bancheng.core.deps import api_router, db_session, require
from bancheng.core.errors import NotFound
from bancheng.org.scope import Principal, unit_clause
from bancheng.outbox import service
from bancheng.outbox.channels import Outgoing
from bancheng.outbox.models import OutboxAttempt, OutboxMessage

router = api_router(prefix="/api/v1/outbox", tags=["outbox"])
DB = Annotated[Session, Depends(db_session)]
State = Literal["pending", "sending", "sent", "dead"]
MessageId = Annotated[int, Path(ge=1, le=2**62)]


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    channel: str
    kind: str
    idempotency_key: str
    recipient_masked: str
    subject: str | None
    case_id: int | None
    user_id: int | None
    subscription_id: int | None
    state: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    sent_at: datetime | None


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    worker: str
    ok: bool
    status: str | None
    error: str | None
    duration_ms: int


class MessageDetail(MessageOut):
    preview: str
    attempts_log: list[AttemptOut]


class MessagePage(BaseModel):
    items: list[MessageOut]
    total: int
    counts: dict[str, int]


def _visible(p: Principal) -> Any:
    """Supervisors with a limited scope see the messages about cases in it and their own."""
    if p.sees_all:
        return None
    cases = select(Case.id).where(unit_clause(p, Case.current_department_id))
    return or_(OutboxMessage.case_id.in_(cases), OutboxMessage.user_id == p.user_id)


def _get(session: Session, p: Principal, message_id: int) -> OutboxMessage:
    stmt = select(OutboxMessage).where(OutboxMessage.id == message_id)
    cond = _visible(p)
    if cond is not None:
        stmt = stmt.where(cond)
    msg = session.scalar(stmt)
    if msg is None:
        raise NotFound("outbox.not_found", "消息不存在")
    return msg


def preview(msg: OutboxMessage) -> str:
    out = Outgoing(
        id=msg.id,
        channel=msg.channel,
        kind=msg.kind,
        idempotency_key=msg.idempotency_key,
        recipient="",
        recipient_masked=msg.recipient_masked,
        subject=msg.subject,
        payload=dict(msg.payload or {}),
        secrets=dict.fromkeys(service.secrets_of(msg), "***"),
    )
    if msg.channel == "webhook":
        import json

        return json.dumps(out.payload.get("body", {}), ensure_ascii=False, indent=1)[:4000]
    return out.text() or str(out.payload.get("body") or "")


@router.get("/messages", response_model=MessagePage)
def list_messages(
    session: DB,
    state: State | None = None,
    channel: Annotated[str | None, Query(max_length=24)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    subscription_id: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    p: Principal = require("outbox.read"),
) -> MessagePage:
    """Newest first. ``counts`` are per state over the same filters (without ``state``)."""
    filters = []
    cond = _visible(p)
    if cond is not None:
        filters.append(cond)
    if channel:
        filters.append(OutboxMessage.channel == channel)
    if kind:
        filters.append(OutboxMessage.kind.startswith(kind, autoescape=True))
    if case_id:
        filters.append(OutboxMessage.case_id == case_id)
    if subscription_id:
        filters.append(OutboxMessage.subscription_id == subscription_id)
    counts = {
        s: int(n)
        for s, n in session.execute(
            select(OutboxMessage.state, func.count()).where(*filters).group_by(OutboxMessage.state)
        ).all()
    }
    if state:
        filters.append(OutboxMessage.state == state)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*filters)) or 0
    rows = session.scalars(
        select(OutboxMessage)
        .where(*filters)
        .order_by(OutboxMessage.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return MessagePage(
        items=[MessageOut.model_validate(r) for r in rows], total=int(total), counts=counts
    )


def _detail(session: Session, msg: OutboxMessage) -> MessageDetail:
    attempts = session.scalars(
        select(OutboxAttempt).where(OutboxAttempt.message_id == msg.id).order_by(OutboxAttempt.id)
    ).all()
    base = MessageOut.model_validate(msg).model_dump()
    return MessageDetail(
        **base,
        preview=preview(msg),
        attempts_log=[AttemptOut.model_validate(a) for a in attempts],
    )


@router.get("/messages/{message_id}", response_model=MessageDetail)
def get_message(
    message_id: MessageId,
    session: DB,
    p: Principal = require("outbox.read"),
) -> MessageDetail:
    return _detail(session, _get(session, p, message_id))


@router.post("/messages/{message_id}/retry", response_model=MessageDetail)
def retry_message(
    message_id: MessageId, session: DB, p: Principal = require("outbox.manage")
) -> MessageDetail:
    """Send a dead (or waiting) message again now, with a fresh budget of attempts."""
    msg = _get(session, p, message_id)
    msg = service.retry(session, msg.id)
    log_operation(
        session,
        actor_id=p.user_id,
        actor_name=p.username,
        action="outbox.retry",
        object_type="outbox_message",
        object_id=str(msg.id),
        ip=p.ip,
        details={"kind": msg.kind, "channel": msg.channel},
    )
    return _detail(session, msg)
