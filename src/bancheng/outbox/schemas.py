"""Answers of the deliveries page: outbox messages, their attempts, pages of them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
