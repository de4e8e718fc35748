"""Outbox rows and their delivery attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import BigId, JSONType, UTCDateTime, cascade_fk

# pending: waiting for its next attempt; sending: claimed by a worker (lease until
# locked_until); sent; dead: gave up after max_attempts (or a permanent refusal).
STATES = ("pending", "sending", "sent", "dead")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(64))
    # The same key never makes a second row; it travels with the message (Message-ID,
    # webhook-id, the SMS providers' OutId / SessionContext) so a receiver can drop a
    # redelivery.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Not secret: a URL, an e-mail address of staff, a user id. Secret addresses (phone
    # numbers) are in recipient_enc, decrypted only when the message is sent.
    recipient: Mapped[str] = mapped_column(String(500), default="")
    recipient_enc: Mapped[str | None] = mapped_column(Text)
    recipient_masked: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Encrypted JSON object of values that must not be readable at rest (private links).
    secret_enc: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_messages_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_messages_created", "created_at"),
    )


class OutboxAttempt(Base):
    """The delivery log: one row per attempt, with what the other side answered."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = cascade_fk("outbox_messages.id", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str | None] = mapped_column(String(40))  # HTTP status, SMTP code, ...
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class OutboxLease(Base):
    """On SQLite one process sends at a time: the holder of the ``sender`` lease."""

    __tablename__ = "outbox_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
