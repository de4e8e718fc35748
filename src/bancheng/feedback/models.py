"""好差评 evaluations, rectification of bad reviews (with appeals) and callbacks (回访)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bancheng.core.db import Base
from bancheng.core.types import JSONType, UTCDateTime, cascade_fk


class IndicatorSet(Base):
    """One version of a channel type's 好差评 indicators (GB/T 39734-2020: online, offline)
    and of the checklist of reasons for a bad review. Versions are never edited once an
    evaluation used them; a new version replaces the active one."""

    __tablename__ = "indicator_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_type: Mapped[str] = mapped_column(String(8))  # online | offline
    version: Mapped[int] = mapped_column(Integer)
    # [{"code": "overall", "label": "整体满意度"}, ...], each scored 1–5
    indicators: Mapped[list[Any]] = mapped_column(JSONType)
    # [{"code": "slow", "label": "办理时间过长"}, ...]
    bad_reasons: Mapped[list[Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("channel_type", "version", name="uq_indicator_sets_channel_version"),
    )


class ReplyTemplate(Base):
    """A text snippet a handler inserts in an action dialog (reply, resolve, return...),
    per case kind (NULL: every kind) and action; ``{案件编号}``-style variables are filled
    in for the case when it is chosen (``feedback.replies``)."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Evaluation(Base):
    """One rating of one round (round 1 after the first feedback, 2 after rectification...)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(24))
    timeliness: Mapped[int | None] = mapped_column(Integer)
    attitude: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(12))  # public | window | callback
    # The 好差评 channel (see integrations/haochaping.py): qr, web, app, mini_program,
    # sms, hall, terminal, hotline_12345. NULL on rows from before it was recorded.
    channel: Mapped[str | None] = mapped_column(String(16))
    # The indicator set version the rating was given on, its 1–5 score per indicator code,
    # and for a bad review the codes of the checklist's reasons ticked.
    indicator_set_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_sets.id"))
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    bad_reasons: Mapped[list[Any] | None] = mapped_column(JSONType)
    # Who and where is rated (for the rankings): the case's window and the staff member who
    # handled it (assignee, else the registering clerk) when the rating was given.
    window_id: Mapped[int | None] = mapped_column(ForeignKey("service_windows.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An appeal upheld by a supervisor (malicious or mistaken review): out of the figures.
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("case_id", "round", name="uq_evaluations_case_round"),)


class Rectification(Base):
    """整改: opened by a bad review, for the department that had the case."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    deadline_workdays: Mapped[int | None] = mapped_column(Integer)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # open | done | appealed | overturned
    status: Mapped[str] = mapped_column(String(12), default="open")
    note: Mapped[str | None] = mapped_column(Text)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appeal_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appeal_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(12))  # upheld | rejected
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallbackTask(Base):
    """回访: one per bad review, and for the sampled closed cases."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(String(12))  # bad_review | sample
    round: Mapped[int] = mapped_column(Integer, default=1)
    # open | reached | unreachable | refused
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_resolved: Mapped[bool | None] = mapped_column(Boolean)
    confirm_note: Mapped[str | None] = mapped_column(Text)
    new_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("case_id", "reason", "round", name="uq_callback_tasks_case_reason"),
    )


class CallbackAttempt(Base):
    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = cascade_fk("callback_tasks.id", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(12))  # reached | unreachable | refused
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_callback_attempts_task_at", "task_id", "at"),)
