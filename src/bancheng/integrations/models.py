"""The register of 12345 work orders and the Open311 request tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import JSONType, UTCDateTime, cascade_fk


class HotlineOrder(Base):
    """One 12345 work order, by the platform's own order number (unique): the case it
    became, how often it was sent, and whether the platform withdrew it."""

    __tablename__ = "hotline_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    # active | withdrawn
    status: Mapped[str] = mapped_column(String(12), default="active")
    # SHA-256 of the order as last received: a re-send of the same order changes nothing.
    fingerprint: Mapped[str] = mapped_column(String(64))
    times_received: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)


class Open311Token(Base):
    """The token an Open311 client may follow its request with (``GET tokens/{token}``)."""

    __tablename__ = "open311_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
