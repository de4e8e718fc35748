"""The case library: typical cases and their character-bigram search index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import BigId, JSONType, UTCDateTime, cascade_fk


class LibraryCase(Base):
    """A typical case (典型案例): ``draft`` → ``published`` (after review)."""

    __tablename__ = "library_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    stuck_point: Mapped[str] = mapped_column(Text)
    solution: Mapped[str] = mapped_column(Text)
    policy_basis: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"))
    blocker_type: Mapped[str | None] = mapped_column(String(24))
    # Names the masker must look for besides its patterns (the reporter's name).
    extra_names: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LibraryGram(Base):
    """Inverted index: one row per (character bigram, library case)."""

    __tablename__ = "library_grams"

    gram: Mapped[str] = mapped_column(String(4), primary_key=True)
    library_case_id: Mapped[int] = cascade_fk("library_cases.id", primary_key=True, index=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)
