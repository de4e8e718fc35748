"""Putting messages in the outbox, inside the caller's transaction.

``enqueue`` is the one way out of bancheng: it writes a row in the session's transaction
and flushes nothing else. A rolled-back transaction takes its messages with it; a committed
one leaves them for the delivery worker (``outbox.worker``). Channels whose delivery is a
database write of its own (in-app notices) are delivered right here, in the same
transaction, and the row is recorded as sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.config import get_settings
from bancheng.core.crypto import get_crypto
from bancheng.core.errors import Conflict, NotFound, present
from bancheng.core.jobs import nudge
from bancheng.outbox import repository
from bancheng.outbox.models import OutboxMessage

# Channels delivered inside the enqueuing transaction: name → fn(session, message).
InTransaction = Callable[[Session, OutboxMessage], str | None]
_IN_TRANSACTION: dict[str, InTransaction] = {}

# The job registry's name of the delivery worker (``outbox.jobs``).
DELIVER_JOB = "outbox.deliver"

# Set after a commit that enqueued something: an in-process worker wakes at once (the
# scheduler's ``outbox.deliver`` is nudged; ``bancheng outbox run`` waits on this event).
wakeup = threading.Event()


def register_transactional_channel(name: str, deliver: InTransaction) -> None:
    _IN_TRANSACTION[name] = deliver


def enqueue(
    session: Session,
    *,
    channel: str,
    kind: str,
    idempotency_key: str,
    recipient: str = "",
    recipient_secret: str | None = None,
    recipient_enc: str | None = None,
    recipient_masked: str = "",
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
    case_id: int | None = None,
    user_id: int | None = None,
    max_attempts: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Write one outward message in ``session``'s transaction.

    ``idempotency_key`` identifies the message: a second enqueue with the same key (a
    retried request, a job run twice) writes nothing and returns ``None``. A secret
    address (a phone number) goes in ``recipient_secret`` (encrypted here) or, already
    encrypted, in ``recipient_enc``; ``secrets`` are encrypted as one JSON object and
    decrypted only by the worker, for the one send.
    """
    now = clock.now()
    crypto = get_crypto()
    if recipient_secret is not None:
        recipient_enc = crypto.encrypt(recipient_secret)
    values = {
        "channel": channel,
        "kind": kind,
        "idempotency_key": idempotency_key[:200],
        "recipient": recipient[:500],
        "recipient_enc": recipient_enc,
        "recipient_masked": recipient_masked[:200],
        "subject": subject[:200] if subject else None,
        "payload": payload or {},
        "secret_enc": crypto.encrypt(json.dumps(secrets, ensure_ascii=False)) if secrets else None,
        "case_id": case_id,
        "user_id": user_id,
        "state": "pending",
        "attempts": 0,
        "max_attempts": max_attempts or get_settings().outbox_max_attempts,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    msg = repository.insert_message(session, values)
    if msg is None:
        return None
    session.info["outbox_enqueued"] = True
    deliver = _IN_TRANSACTION.get(channel)
    if deliver is not None:
        ref = deliver(session, msg)
        msg.state = "sent"
        msg.attempts = 1
        msg.sent_at = now
        msg.provider_ref = ref
        session.flush()
    return msg


def secrets_of(msg: OutboxMessage) -> dict[str, Any]:
    if not msg.secret_enc:
        return {}
    value = json.loads(get_crypto().decrypt(msg.secret_enc))
    return value if isinstance(value, dict) else {}


def retry(session: Session, message_id: int) -> OutboxMessage:
    """Put a dead (or waiting) message back for an attempt now, with a fresh budget of
    attempts. A message being sent or already sent is refused."""
    msg = present(
        repository.message_for_update(session, message_id),
        NotFound("outbox.not_found", "消息不存在"),
    )
    if msg.state not in ("dead", "pending"):
        raise Conflict("outbox.not_retryable", "只有失败或等待重试的消息可以重新发送")
    repository.reset_for_retry(session, msg.id, clock.now())
    session.info["outbox_enqueued"] = True
    session.refresh(msg)
    return msg


def find(session: Session, idempotency_key: str) -> OutboxMessage | None:
    return repository.message_by_key(session, idempotency_key)


def wake_worker(session: Session) -> None:
    if session.info.pop("outbox_enqueued", False):
        wakeup.set()
        nudge(DELIVER_JOB)


def forget_enqueued(session: Session) -> None:
    session.info.pop("outbox_enqueued", None)


# Registered by ``bancheng.hooks.install``.
SESSION_LISTENERS = (
    ("after_commit", wake_worker),
    ("after_rollback", forget_enqueued),
)
