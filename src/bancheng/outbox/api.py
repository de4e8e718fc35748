"""The deliveries page: every outbox row with its state, attempts and last error, its
attempts (the delivery log), and a retry for a dead one. Recipients are masked; private
links inside a message are shown as ``***``."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import Path, Query
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action
from bancheng.core.deps import DB, api_router, require
from bancheng.core.errors import NotFound, present
from bancheng.org.scope import Principal
from bancheng.outbox import repository, service
from bancheng.outbox.channels import Outgoing
from bancheng.outbox.models import OutboxMessage
from bancheng.outbox.schemas import AttemptOut, MessageDetail, MessageOut, MessagePage

router = api_router(prefix="/api/v1/outbox", tags=["outbox"])
State = Literal["pending", "sending", "sent", "dead"]
MessageId = Annotated[int, Path(ge=1, le=2**62)]


def _get(session: Session, p: Principal, message_id: int) -> OutboxMessage:
    return present(
        repository.message(session, p, message_id), NotFound("outbox.not_found", "消息不存在")
    )


def preview(msg: OutboxMessage) -> str:
    """The message as it is sent, with its secrets (private links) shown as ``***``."""
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
        return json.dumps(out.payload.get("body", {}), ensure_ascii=False, indent=1)[:4000]
    return out.text() or str(out.payload.get("body") or "")


def message_detail(session: Session, msg: OutboxMessage) -> MessageDetail:
    """The message, its preview and its delivery log (also the answer of a webhook replay,
    ``notify/admin_api.py``)."""
    return MessageDetail(
        **MessageOut.model_validate(msg).model_dump(),
        preview=preview(msg),
        attempts_log=[AttemptOut.model_validate(a) for a in repository.attempts(session, msg.id)],
    )


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
    rows, total, counts = repository.messages(
        session,
        p,
        state=state,
        channel=channel,
        kind=kind,
        case_id=case_id,
        subscription_id=subscription_id,
        page=page,
        page_size=page_size,
    )
    return MessagePage(
        items=[MessageOut.model_validate(r) for r in rows], total=total, counts=counts
    )


@router.get("/messages/{message_id}", response_model=MessageDetail)
def get_message(
    message_id: MessageId,
    session: DB,
    p: Principal = require("outbox.read"),
) -> MessageDetail:
    return message_detail(session, _get(session, p, message_id))


@router.post("/messages/{message_id}/retry", response_model=MessageDetail)
def retry_message(
    message_id: MessageId, session: DB, p: Principal = require("outbox.manage")
) -> MessageDetail:
    """Send a dead (or waiting) message again now, with a fresh budget of attempts."""
    msg = _get(session, p, message_id)
    msg = service.retry(session, msg.id)
    log_action(
        session,
        p,
        "outbox.retry",
        "outbox_message",
        str(msg.id),
        {"kind": msg.kind, "channel": msg.channel},
    )
    return message_detail(session, msg)
