"""Request and answer bodies of ``sla/api.py`` (calendar, deadlines, policies) and
``deadlines/ops_api.py`` (the sweep and the recomputation)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from bancheng.sla.keys import Channel, Difficulty, Kind


class YearOut(BaseModel):
    year: int
    source: str
    loaded_at: datetime
    complete: bool
    holidays: int
    makeup_workdays: int


class YearsOut(BaseModel):
    years: list[YearOut]
    missing: list[int] = Field(description="本年和下一年中没有节假日安排的年份(管理员警告)")


class DayOut(BaseModel):
    date: date
    kind: str
    festival: str | None
    workday: bool


class YearDaysOut(BaseModel):
    year: int
    known: bool = Field(description="false: 没有安排,以下为周一至周五推算")
    source: str | None
    loaded_at: datetime | None
    days: list[DayOut]


class ImportOut(BaseModel):
    years: list[int]
    replaced_years: list[int]
    holidays: int
    makeup_workdays: int
    source: str


class DeadlineOut(BaseModel):
    start: date
    workdays: int
    deadline: date
    due_at: datetime = Field(description="逾期时刻(不含): 截止日次日零点,UTC")
    provisional: bool


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: Kind | None = None
    difficulty: Difficulty | None = None
    channel: Channel | None = None
    department_id: int | None = None
    response_limit: float
    response_unit: str
    resolution_limit: float
    resolution_unit: str
    yellow_remaining: float | None = None
    yellow_fraction: float | None = None
    priority: int = 0
    active: bool = True
    note: str | None = None


class PolicyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: Kind | None = None
    difficulty: Difficulty | None = None
    channel: Channel | None = None
    department_id: int | None = None
    response_limit: float | None = None
    response_unit: str | None = None
    resolution_limit: float | None = None
    resolution_unit: str | None = None
    yellow_remaining: float | None = None
    yellow_fraction: float | None = None
    priority: int | None = None
    active: bool | None = None
    note: str | None = None


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str | None
    difficulty: str | None
    channel: str | None
    department_id: int | None
    response_limit: float
    response_unit: str
    resolution_limit: float
    resolution_unit: str
    yellow_remaining: float | None
    yellow_fraction: float | None
    priority: int
    active: bool
    note: str | None
    created_at: datetime
    updated_at: datetime


class PolicyMatchOut(BaseModel):
    policy: PolicyOut
    accepted_at: datetime
    response_due_at: datetime
    resolution_date: date
    resolution_due_at: datetime
    provisional: bool


class SweepOut(BaseModel):
    ran: bool
    turned_yellow: int
    turned_red: int
    escalated: int


class RecomputeOut(BaseModel):
    changed: int


class StatusOut(BaseModel):
    missing_years: list[int]
    warning: str | None
