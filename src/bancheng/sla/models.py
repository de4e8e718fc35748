"""The working-day calendar and the time-limit policies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Boolean, Date, Float, Integer, String, Text

from bancheng.core.db import Base
from bancheng.core.types import UTCDateTime, cascade_fk


class CalendarYear(Base):
    """One row per year whose arrangement is loaded. Only ``complete`` years are trusted;
    any other year is computed Monday–Friday and marked provisional."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("year BETWEEN 1990 AND 2100", name="year_range"),)


class CalendarDay(Base):
    """Every day of a loaded year, with its kind. ``festival`` names the holiday a day
    off or a make-up working day belongs to (元旦, 春节, ...), in Chinese."""

    __tablename__ = "calendar_days"

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = cascade_fk("calendar_years.year")
    kind: Mapped[str] = mapped_column(String(16))
    festival: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("kind IN ('workday', 'weekend', 'holiday', 'makeup_workday')", name="kind"),
        Index("ix_calendar_days_year", "year"),
    )


class SlaPolicy(Base):
    """A time limit, keyed by kind, difficulty, channel and department; a NULL key
    matches anything. The most specific active match wins (department, then kind,
    difficulty, channel), then the higher ``priority``. A department's policy also
    applies to the departments below it; the nearest one wins.

    ``response_*``: how soon the reporter must be contacted. ``resolution_*``: how soon
    the case must be resolved. A case turns yellow when at most
    ``yellow_remaining`` units of the resolution limit remain, or when
    ``yellow_fraction`` of it has elapsed, whichever comes first (either may be NULL).
    """

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(20))
    difficulty: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)

    response_limit: Mapped[float] = mapped_column(Float)
    response_unit: Mapped[str] = mapped_column(String(16))
    resolution_limit: Mapped[float] = mapped_column(Float)
    resolution_unit: Mapped[str] = mapped_column(String(16))
    yellow_remaining: Mapped[float | None] = mapped_column(Float)
    yellow_fraction: Mapped[float | None] = mapped_column(Float)

    priority: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "response_unit IN ('working_hours', 'working_days', 'calendar_hours')",
            name="response_unit",
        ),
        CheckConstraint(
            "resolution_unit IN ('working_days', 'calendar_hours')", name="resolution_unit"
        ),
        CheckConstraint("response_limit >= 0 AND resolution_limit >= 0", name="limits"),
        CheckConstraint(
            "yellow_fraction IS NULL OR (yellow_fraction > 0 AND yellow_fraction < 1)",
            name="yellow_fraction",
        ),
        Index("ix_sla_policies_key", "kind", "difficulty", "channel"),
    )


class DeadlineExtension(Base):
    """A request to extend a case's deadline, decided by a supervisor before it expires."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    old_due_date: Mapped[dt.date] = mapped_column(Date)
    new_due_date: Mapped[dt.date] = mapped_column(Date)
    extra_workdays: Mapped[int] = mapped_column(Integer)
    # The count ran through a year without an official arrangement: recounted between the
    # same two dates when that year is imported.
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
