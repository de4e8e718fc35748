"""The organisation: a department tree, halls and windows, the matter catalogue, staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bancheng.core.db import Base
from bancheng.core.types import JSONType, UTCDateTime, cascade_fk

# Levels of the tree, top to bottom.
LEVELS = ("city", "district", "street", "community")
# A unit is either a level's government/service centre or a functional agency within it.
UNIT_KINDS = ("government", "agency", "centre")


class Department(Base):
    """A unit of the tree. ``path`` is the materialised path of ids (``/1/4/17/``), so
    "this unit and everything below" is ``path LIKE '/1/4/%'`` on an indexed column."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="agency")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    path: Mapped[str] = mapped_column(String(255), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ix_departments_path", "path"),)


class Hall(Base):
    __tablename__ = "halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))

    windows: Mapped[list[ServiceWindow]] = relationship(back_populates="hall")


class ServiceWindow(Base):
    __tablename__ = "service_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    is_feedback_window: Mapped[bool] = mapped_column(Boolean, default=False)

    hall: Mapped[Hall] = relationship(back_populates="windows")


class Matter(Base):
    """An item of the government-service catalogue (事项)."""

    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    materials: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    data_scope: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where staff messages go when the user chooses e-mail or SMS (profile). The phone is
    # personal data: encrypted, shown masked.
    email: Mapped[str | None] = mapped_column(String(200))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(20))


class UserScopeDepartment(Base):
    """The custom data scope: the departments (and their subtrees) a user may see."""

    __tablename__ = "user_scope_departments"

    user_id: Mapped[int] = cascade_fk("users.id", primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)


class AuthSession(Base):
    """A console sign-in. Only the token's SHA-256 is stored; the CSRF token travels in a
    readable cookie and must come back in the ``X-CSRF-Token`` header."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = cascade_fk("users.id", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    # Last request seen (written at most once a minute): idle sessions end.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordHistory(Base):
    """Earlier password hashes of a user, for the reuse rule (``password_history``)."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = cascade_fk("users.id", index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A machine-integration token: shown once, stored hashed, scoped, revocable, expiring."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = cascade_fk("users.id", index=True)
    permissions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
