"""Routing configuration: which department takes a subject category, and links between
cases recognised as the same problem."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import UTCDateTime


class RoutingTarget(Base):
    """Category (the classifier's label) → the department that takes it."""

    __tablename__ = "routing_targets"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))


class CaseLink(Base):
    """A case marked as a duplicate of (the same problem as) another."""

    __tablename__ = "case_links"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    other_case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="duplicate")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
