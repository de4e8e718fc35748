"""Private links for reporters without an account: a random token shown once, stored
as its SHA-256 only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import UTCDateTime, cascade_fk


class CaseAccessToken(Base):
    __tablename__ = "case_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
