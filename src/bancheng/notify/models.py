"""Notices (in-app messages) to a department or to one named person, the message templates
an administrator edits, each user's channel choice per kind of message, and webhook
subscriptions. Every notice is delivered through the outbox (``notify.service``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import BigId, JSONType, UTCDateTime, cascade_fk


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # Set: addressed to this person only (in their department's inbox for them alone).
    user_id: Mapped[int | None] = cascade_fk("users.id")
    case_id: Mapped[int | None] = cascade_fk("cases.id", index=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_notices_department_created", "department_id", "created_at"),
        Index("ix_notices_user_created", "user_id", "created_at"),
    )


class MessageTemplate(Base):
    """An administrator's wording of one kind of message (the built-in text otherwise).
    ``body`` uses ``{variables}``; the SMS providers send their own approved template by
    code, with the variables named in ``sms_params`` in that order."""

    __tablename__ = "message_templates"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sms_aliyun_code: Mapped[str | None] = mapped_column(String(64))
    sms_tencent_id: Mapped[str | None] = mapped_column(String(64))
    sms_params: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class NotificationPreference(Base):
    """Which channels a user wants for one kind of staff message (inapp, email, sms)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = cascade_fk("users.id", primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    channels: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class WebhookSubscription(Base):
    """An outside system that wants events: signed POSTs (Standard Webhooks) to ``url``."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    secret_enc: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
