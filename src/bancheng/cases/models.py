"""The case ledger: cases, their append-only timeline, attachments and number counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Boolean, Date, Float, Integer, String, Text

from bancheng.core.db import Base
from bancheng.core.types import BigId, JSONType, UTCDateTime, cascade_fk


class CaseNumberCounter(Base):
    """One row per jurisdiction and year; incremented in the creating transaction, so a
    rolled-back creation gives its number back and numbers stay consecutive."""

    __tablename__ = "case_number_counters"

    jurisdiction: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


# States whose clock runs (open, not suspended); kept in step with cases.case_clock.RUNNING.
RUNNING_STATES = ("accepted", "dispatched", "in_progress", "registered", "reopened")
_RUNNING_SQL = "state IN ('accepted', 'dispatched', 'in_progress', 'registered', 'reopened')"
_YELLOW_PENDING = text(f"yellow_notified_at IS NULL AND {_RUNNING_SQL}")
_RED_PENDING = text(f"red_notified_at IS NULL AND {_RUNNING_SQL}")
_ESC_PENDING = text(f"escalated_at IS NULL AND {_RUNNING_SQL}")


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)

    state: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[str] = mapped_column(String(12))
    # The main blocker; further ones are in ``case_blockers``.
    blocker_type: Mapped[str] = mapped_column(String(24))
    nature: Mapped[str | None] = mapped_column(String(20))

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)

    # Reporter. Phone and ID number are personal data: stored encrypted, with a keyed hash
    # for look-ups and a masked copy for lists.
    reporter_type: Mapped[str] = mapped_column(String(12))
    reporter_name: Mapped[str] = mapped_column(String(100))
    reporter_phone_enc: Mapped[str] = mapped_column(String(255))
    reporter_phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    reporter_phone_masked: Mapped[str] = mapped_column(String(20))
    # The reporter asked for no SMS about this case (from the phone page's private link).
    reporter_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_id_enc: Mapped[str | None] = mapped_column(String(255))
    reporter_id_masked: Mapped[str | None] = mapped_column(String(24))
    reporter_org_name: Mapped[str | None] = mapped_column(String(200))
    reporter_credit_code: Mapped[str | None] = mapped_column(String(18))

    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"), index=True)
    stuck_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("service_windows.id"))

    # First-receipt responsibility: set at registration, never changed afterwards.
    first_receipt_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    first_receipt_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The unit (and person) that has the case now.
    current_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    suggested_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    needs_supervision: Mapped[bool] = mapped_column(Boolean, default=False)
    supervision_reason: Mapped[str | None] = mapped_column(String(64))

    suspended_from: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(Text)
    policy_explanation: Mapped[str | None] = mapped_column(Text)
    alternative: Mapped[str | None] = mapped_column(Text)
    alternative_owner: Mapped[str | None] = mapped_column(String(200))
    notification_text: Mapped[str | None] = mapped_column(Text)
    notification_materials: Mapped[list[Any] | None] = mapped_column(JSONType)
    rating: Mapped[str | None] = mapped_column(String(24))
    resolved_on_spot: Mapped[bool] = mapped_column(Boolean, default=False)

    # The clock (see cases/case_clock.py): started at registration and restarted on reopening,
    # paused while suspended (office seconds), extended by approved working days.
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    extension_workdays: Mapped[int] = mapped_column(Integer, default=0)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_date: Mapped[date | None] = mapped_column(Date)
    yellow_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    frozen_light: Mapped[str | None] = mapped_column(String(8))
    yellow_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    red_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # A deadline set from outside (a 12345 work order's time limit): it replaces the
    # policy's resolution deadline, and pauses and extensions still move it.
    fixed_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The 12345 hotline's own order number, for cases handed over from the platform.
    hotline_order_number: Mapped[str | None] = mapped_column(String(64), index=True)

    # Where the matter is. Coordinates are kept as given, with their datum (WGS-84 from a
    # browser or Open311, GCJ-02 from most Chinese map services), and converted to WGS-84
    # for area filters and distances.
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    coord_datum: Mapped[str | None] = mapped_column(String(8))
    location_source: Mapped[str | None] = mapped_column(String(16))
    wgs84_lat: Mapped[float | None] = mapped_column(Float)
    wgs84_lng: Mapped[float | None] = mapped_column(Float)

    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Automatic dispatch (routing): when and to which unit the model sent the case, and,
    # once that unit turned out wrong, how it was corrected ("recall" by the clerk,
    # "return" or "transfer" by the unit). A misrouted case does not count against the
    # unit that received it next (insights counters, docs/metrics.md).
    auto_dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A unit id, without a foreign key so that SQLite adds the column in place.
    auto_department_id: Mapped[int | None] = mapped_column(Integer)
    auto_misroute: Mapped[str | None] = mapped_column(String(12))

    # 并单: the master this case was merged into as a duplicate (``routing.merge``). A
    # follower follows its master's progress and closes with it; the ledger and the
    # insights count a merged group once, by its master (docs/metrics.md). A case id,
    # without a foreign key so that SQLite adds the column in place.
    merged_into_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A pending request to end the case as unreasonable or invalid (``request_end``), until
    # a supervisor decides it (``decide_end``). The history is in the timeline.
    end_request: Mapped[str | None] = mapped_column(String(12))
    end_request_basis: Mapped[str | None] = mapped_column(Text)
    # A user id, without a foreign key so that SQLite adds the column in place.
    end_requested_by_id: Mapped[int | None] = mapped_column(Integer)
    end_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("jurisdiction", "year", "seq"),
        Index("ix_cases_current_department_registered", "current_department_id", "registered_at"),
        Index("ix_cases_state_due_at", "state", "due_at"),
        Index("ix_cases_state_registered", "state", "registered_at"),
        Index("ix_cases_wgs84", "wgs84_lat", "wgs84_lng"),
        # The sweeper's work lists: open cases whose turn has not been recorded yet. Partial,
        # so cases already lit (or closed) cost the sweep nothing.
        Index(
            "ix_cases_yellow_pending",
            "yellow_at",
            postgresql_where=_YELLOW_PENDING,
            sqlite_where=_YELLOW_PENDING,
        ),
        Index(
            "ix_cases_red_pending",
            "due_at",
            postgresql_where=_RED_PENDING,
            sqlite_where=_RED_PENDING,
        ),
        Index(
            "ix_cases_escalation_pending",
            "due_date",
            postgresql_where=_ESC_PENDING,
            sqlite_where=_ESC_PENDING,
        ),
    )
    __mapper_args__ = {"version_id_col": version}


class CaseDepartment(Base):
    """Every unit that has been involved with a case (first receipt, each assignee). Data
    scope is decided on this table: a unit keeps seeing the cases it has handled."""

    __tablename__ = "case_departments"

    case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)

    __table_args__ = (Index("ix_case_departments_department_case", "department_id", "case_id"),)


class CaseBlocker(Base):
    """The further blocker types of a case, beyond its main one (``Case.blocker_type``): a
    matter often fails for missing materials and between departments at once. A case's
    blockers are its main one and these rows (never repeating the main one)."""

    __tablename__ = "case_blockers"

    case_id: Mapped[int] = cascade_fk("cases.id", primary_key=True)
    blocker_type: Mapped[str] = mapped_column(String(24), primary_key=True)

    __table_args__ = (Index("ix_case_blockers_type_case", "blocker_type", "case_id"),)


class CaseEvent(Base):
    """The append-only timeline. Written in the same transaction as the change it records."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    actor_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """Remembers a creation request so that a retry with the same key returns the same case."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Claimed before the case is written (so a concurrent retry waits on the key), then set.
    case_id: Mapped[int | None] = cascade_fk("cases.id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseCoHandler(Base):
    """A co-handling unit (协办单位) named by a dispatch, beside the lead unit (主办, the
    case's current unit). It replies within its own working-day deadline; the lead resolves
    when the replies are in, or says why not. ``status``: ``pending`` (awaiting the reply),
    ``replied``, ``cancelled`` (the case was dispatched anew or went back to be
    re-dispatched) or ``lapsed`` (the lead resolved without it, with a reason)."""

    __tablename__ = "case_co_handlers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The reply deadline: ``workdays`` working days counted from the dispatch with the
    # working-day calendar; the last day on time, and the exclusive instant.
    workdays: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_by_name: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_case_co_handlers_department_status", "department_id", "status"),)


class DispatchObjection(Base):
    """退单: the unit a case was dispatched to objects, with a reason; the dispatching clerk
    or a supervisor accepts (the case goes back to be re-dispatched) or rejects it (the case
    stays). ``status``: ``pending``, ``accepted``, ``rejected``, or ``lapsed`` (the case
    left the unit by another move before the decision)."""

    __tablename__ = "dispatch_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = cascade_fk("cases.id", index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(Text)
    suggested_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_by_name: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
