"""Request and response models of sign-in, the organisation's reads and its administration
(departments, halls and windows, the matter catalogue, users, API tokens)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# --- sign-in -------------------------------------------------------------------------


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    department_id: int
    department_name: str
    data_scope: str
    must_change_password: bool
    permissions: list[str]
    csrf_token: str | None = None


# --- the organisation ----------------------------------------------------------------


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    short_name: str | None
    level: str
    kind: str
    parent_id: int | None
    path: str
    active: bool


class MatterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    department_id: int
    materials: list[str]
    active: bool


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    name: str
    is_feedback_window: bool


class HallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    department_id: int
    name: str
    address: str | None
    windows: list[WindowOut]


# --- administration ------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DepartmentIn(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=40)
    level: str
    kind: str = "agency"
    parent_id: int | None = None
    sort: int = 0


class DepartmentPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=40)
    sort: int | None = None
    active: bool | None = None


class HallIn(Strict):
    department_id: int
    name: str = Field(min_length=1, max_length=100)
    address: str | None = Field(default=None, max_length=200)


class WindowIn(Strict):
    number: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    is_feedback_window: bool = False


class MatterIn(Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    department_id: int
    materials: list[str] = Field(default_factory=list, max_length=100)
    description: str | None = None


class MatterPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    department_id: int | None = None
    materials: list[str] | None = Field(default=None, max_length=100)
    active: bool | None = None


class ImportReport(BaseModel):
    created: int
    updated: int
    rejected: list[dict[str, Any]]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    department_id: int
    data_scope: str
    active: bool
    must_change_password: bool
    custom_department_ids: list[int] = []


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    role: str
    department_id: int
    data_scope: str
    initial_password: str = Field(min_length=1, max_length=256)
    custom_department_ids: list[int] = Field(default_factory=list, max_length=200)


class UserPatch(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: str | None = None
    department_id: int | None = None
    data_scope: str | None = None
    active: bool | None = None
    custom_department_ids: list[int] | None = Field(default=None, max_length=200)
    reset_password: str | None = Field(default=None, max_length=256)


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    user_id: int
    permissions: list[str] = Field(min_length=1, max_length=50)
    days: int = Field(default=90, ge=1, le=366)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    user_id: int
    permissions: list[str]
    created_at: Any
    expires_at: Any
    revoked_at: Any | None
    last_used_at: Any | None


class TokenCreated(TokenOut):
    token: str
