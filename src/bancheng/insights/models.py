"""Insights tables: the daily rollup of case counters and the register of imported orders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import BigId, UTCDateTime, cascade_fk

# The counters kept per (registration day, department, hall, channel, kind, blocker, matter).
COUNTERS = (
    "registered",
    "resolved",
    "resolved_on_spot",
    "cannot_by_policy",
    "solved",
    "resolved_with_deadline",
    "on_time",
    "responded",
    "overdue",
    "rated",
    "satisfied",
    "bad",
    "transferred",
    "returned",
    "reopened",
    "rectify_due",
    "rectified",
    "callback_due",
    "called_back",
    # Cases ended as unreasonable or invalid: counted here only, in no other counter.
    "unreasonable",
)


class CaseDailyStat(Base):
    """Counters of the cases registered on one local (Asia/Shanghai) day, for one value of
    one dimension (``dimension='all'``, ``key=''``: every case of the day), as seen by one
    data scope (``scope='*'``: everything; ``t:<id>``: the cases involving that unit or any
    unit below it; ``d:<id>``: the cases involving that unit itself). Kept current by
    ``refresh`` (days touched since the last refresh, see docs/metrics.md)."""

    __tablename__ = "case_daily_stats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(24))
    dimension: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(32))  # NULL: the case has no value

    registered: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on_spot: Mapped[int] = mapped_column(Integer, default=0)
    cannot_by_policy: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_with_deadline: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    bad: Mapped[int] = mapped_column(Integer, default=0)
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    unreasonable: Mapped[int] = mapped_column(Integer, default=0)
    rectify_due: Mapped[int] = mapped_column(Integer, default=0)
    rectified: Mapped[int] = mapped_column(Integer, default=0)
    callback_due: Mapped[int] = mapped_column(Integer, default=0)
    called_back: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_case_daily_stats_scope_dimension_day", "scope", "dimension", "day"),
        Index("ix_case_daily_stats_day", "day"),
    )


class RollupState(Base):
    """One row: the rollup holds every day before ``complete_before`` (local date), as the
    cases were at ``refreshed_at``; ``built_at``: the last full rebuild."""

    __tablename__ = "insights_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    complete_before: Mapped[date] = mapped_column(Date)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RollupScopeUnit(Base):
    """Which units make up each data scope the rollup is kept for (``t:<id>`` and
    ``d:<id>``), derived from the department tree at the last full rebuild."""

    __tablename__ = "insights_scope_units"

    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class RollupDirtyDay(Base):
    """A registration day whose cases changed since the last refresh (today's cases are
    always refreshed and never marked). ``marks`` is bumped by every marking transaction:
    the update takes the row lock, so a refresh cannot claim a day while a change to it is
    still uncommitted."""

    __tablename__ = "insights_dirty_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marks: Mapped[int] = mapped_column(Integer, default=1)


class LightSnapshot(Base):
    """Green/yellow/red counts of the open cases of one scope at ``computed_at``."""

    __tablename__ = "insights_light_snapshots"

    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    green: Mapped[int] = mapped_column(Integer)
    yellow: Mapped[int] = mapped_column(Integer)
    red: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportedWorkOrder(Base):
    """An imported row (historical case, 12345 work order): imported once per source."""

    __tablename__ = "imported_work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("source", "external_id"),)
