"""Routing configuration: which department takes a subject category, and links between
cases recognised as the same problem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import JSONType, UTCDateTime, cascade_fk


class RoutingTarget(Base):
    """Category (the classifier's label) → the department that takes it."""

    __tablename__ = "routing_targets"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))


class CaseLink(Base):
    """A case marked as a duplicate of (the same problem as) another."""

    __tablename__ = "case_links"

    case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True)
    other_case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="duplicate")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(Integer)


class CaseMerge(Base):
    """One 并单: a case merged into a master as a duplicate, and its undoing. The case's
    ``merged_into_id`` says where it is now; these rows are the history."""

    __tablename__ = "case_merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    master_id: Mapped[int] = cascade_fk("cases.id", index=True)
    reason: Mapped[str] = mapped_column(String(500))
    score: Mapped[float | None] = mapped_column(Float)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    merged_by_id: Mapped[int | None] = mapped_column(Integer)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(Integer)
    undo_reason: Mapped[str | None] = mapped_column(String(500))


class RoutingUnitModel(Base):
    """A unit-routing model trained from the deployment's own cases by the learning job,
    with how it did against the model in use on the most recent cases it had not seen.

    ``decision`` is ``promoted`` (it became the model in use), ``rejected`` (not better at
    the objective) or ``reverted`` (promoted, then withdrawn by an administrator). The one
    with ``active`` set is the model in use; none active means routing by category alone."""

    __tablename__ = "routing_unit_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    n_train: Mapped[int] = mapped_column(Integer)
    n_eval: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # {"candidate": {...}, "current": {...}, "objective": ..., "reason": ..., "drift": {...}}
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType)
    artefact: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("routing_unit_models.id"))
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_by_id: Mapped[int | None] = mapped_column(Integer)
