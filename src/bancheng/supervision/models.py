"""Tables of supervision: orders (催办/督办) with replies and escalations, joint meetings
and task forces with decisions, systemic issues with their cases and changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import BigId, JSONType, UTCDateTime, cascade_fk


class SupervisionOrder(Base):
    """An urge (``urge`` 催办) or supervise (``supervise`` 督办) order to a department."""

    __tablename__ = "supervision_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issuer_name: Mapped[str] = mapped_column(String(64))
    issuer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # The department first addressed, and the one that has to answer now (escalated up).
    original_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    deadline_workdays: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The deadline ran through a year without an official arrangement (recomputed when
    # that year's calendar is imported).
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the order is overdue at the top of the tree: nothing left to escalate to.
    top_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupervisionOrderCase(Base):
    __tablename__ = "supervision_order_cases"

    order_id: Mapped[int] = cascade_fk("supervision_orders.id", primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True, index=True)


class SupervisionOrderEvent(Base):
    """What happened to an order: issued, replied, escalated, closed."""

    __tablename__ = "supervision_order_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = cascade_fk("supervision_orders.id", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Meeting(Base):
    """A joint meeting (``joint_meeting`` 联席会议) or a task force (``task_force`` 工作专班)."""

    __tablename__ = "supervision_meetings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    convener_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    convened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    convened_by_name: Mapped[str] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    participant_department_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MeetingCase(Base):
    __tablename__ = "supervision_meeting_cases"

    meeting_id: Mapped[int] = cascade_fk("supervision_meetings.id", primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True, index=True)


class MeetingDecision(Base):
    """A decision with a responsible department and a working-day deadline (light)."""

    __tablename__ = "supervision_meeting_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = cascade_fk("supervision_meetings.id", index=True)
    seq: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    responsible_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    deadline_workdays: Mapped[int] = mapped_column(Integer)
    deadline_start: Mapped[date | None] = mapped_column(Date)  # counted from this day
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    yellow_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_note: Mapped[str | None] = mapped_column(Text)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SystemicIssue(Base):
    """Many cases, one root cause (类问题, 制度性堵点)."""

    __tablename__ = "systemic_issues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    root_cause: Mapped[str] = mapped_column(Text)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"), index=True)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SystemicIssueCase(Base):
    __tablename__ = "systemic_issue_cases"

    issue_id: Mapped[int] = cascade_fk("systemic_issues.id", primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True, index=True)
    source: Mapped[str] = mapped_column(String(12), default="manual")
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SystemicChange(Base):
    """A change made against a systemic issue: ``service_guide_revised``, ``system_fixed``
    or ``rule_proposed``."""

    __tablename__ = "systemic_issue_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    issue_id: Mapped[int] = cascade_fk("systemic_issues.id", index=True)
    type: Mapped[str] = mapped_column(String(24))
    changed_on: Mapped[date] = mapped_column(Date)
    owner: Mapped[str] = mapped_column(String(100))
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    description: Mapped[str] = mapped_column(Text)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"))
    materials: Mapped[list[Any] | None] = mapped_column(JSONType)
    previous_materials: Mapped[list[Any] | None] = mapped_column(JSONType)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_systemic_changes_issue_date", "issue_id", "changed_on"),)
