"""The dispatch catalogue (派单目录): which unit is responsible for a matter, and which
units co-handle it. Editable and importable; it feeds the routing suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import JSONType, UTCDateTime


class DispatchCatalogueEntry(Base):
    __tablename__ = "dispatch_catalogue"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The matter as citizens name it (e.g. 住房公积金提取); unique among entries.
    matter: Mapped[str] = mapped_column(String(100), unique=True)
    # Words that identify the matter in a report's title or text (any one matches).
    keywords: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # Units that usually co-handle (协办) the matter.
    co_department_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(Integer)
