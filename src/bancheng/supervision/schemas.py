"""Request and response bodies of the supervision API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OrderKind = Literal["urge", "supervise"]
MeetingKind = Literal["joint_meeting", "task_force"]
ChangeType = Literal["service_guide_revised", "system_fixed", "rule_proposed"]
Light = Literal["green", "yellow", "red"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderIn(_In):
    kind: OrderKind
    department_id: int
    case_ids: list[int] = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    instructions: str = Field(min_length=1, max_length=4000)
    deadline_workdays: int = Field(ge=1, le=60)


class ReplyIn(_In):
    text: str = Field(min_length=1, max_length=4000)


class CloseIn(_In):
    note: str | None = Field(default=None, max_length=2000)


class OrderEventOut(BaseModel):
    at: datetime
    action: str
    actor_name: str
    department_id: int | None
    department_name: str | None
    text: str | None


class CaseRef(BaseModel):
    id: int
    number: str
    title: str
    state: str


class OrderOut(BaseModel):
    id: int
    kind: OrderKind
    title: str
    instructions: str
    issuer_name: str
    issuer_department_id: int
    original_department_id: int
    original_department_name: str
    department_id: int
    department_name: str
    deadline_workdays: int
    level: int
    status: str
    issued_at: datetime
    due_date: date
    due_at: datetime
    deadline_provisional: bool = False
    overdue: bool
    escalated_at: datetime | None
    top_reached_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    cases: list[CaseRef]
    events: list[OrderEventOut] = []


class DecisionIn(_In):
    content: str = Field(min_length=1, max_length=4000)
    responsible_department_id: int | None = None
    deadline_workdays: int | None = None


class MeetingIn(_In):
    kind: MeetingKind
    title: str = Field(min_length=1, max_length=200)
    held_on: date
    location: str | None = Field(default=None, max_length=200)
    participant_department_ids: list[int] = Field(default_factory=list, max_length=100)
    case_ids: list[int] = Field(default_factory=list, max_length=200)
    summary: str | None = Field(default=None, max_length=20000)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=100)


class DecisionDoneIn(_In):
    note: str | None = Field(default=None, max_length=2000)


class DecisionOut(BaseModel):
    id: int
    seq: int
    content: str
    responsible_department_id: int
    responsible_department_name: str
    deadline_workdays: int
    due_date: date
    due_at: datetime
    deadline_provisional: bool = False
    status: str
    light: Light | None
    done_at: datetime | None
    done_note: str | None


class DepartmentRef(BaseModel):
    id: int
    name: str


class MeetingOut(BaseModel):
    id: int
    kind: MeetingKind
    title: str
    convener_department: DepartmentRef
    convened_by_name: str
    held_on: date
    location: str | None
    participants: list[DepartmentRef]
    summary: str | None
    created_at: datetime
    cases: list[CaseRef]
    decisions: list[DecisionOut]


class SweepOut(BaseModel):
    escalated: int
    top_reached: int
    decisions_overdue: int


class BoardOut(BaseModel):
    orders: list[OrderOut]
    open_orders: int
    overdue_orders: int
    open_decisions: list[DecisionOut]


class IssueIn(_In):
    title: str = Field(min_length=1, max_length=200)
    root_cause: str = Field(min_length=1, max_length=4000)
    matter_id: int | None = None
    owner_department_id: int | None = None


class IssuePatch(_In):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    root_cause: str | None = Field(default=None, min_length=1, max_length=4000)
    matter_id: int | None = None
    owner_department_id: int | None = None
    status: Literal["open", "addressed", "closed"] | None = None


class LinkIn(_In):
    case_ids: list[int] = Field(min_length=1, max_length=500)
    source: Literal["manual", "suggested"] = "manual"


class ChangeIn(_In):
    type: ChangeType
    changed_on: date
    owner: str = Field(min_length=1, max_length=100)
    owner_department_id: int | None = None
    description: str = Field(min_length=1, max_length=4000)
    matter_id: int | None = None
    materials: list[str] | None = Field(default=None, max_length=100)


class ChangeOut(BaseModel):
    id: int
    type: ChangeType
    changed_on: date
    owner: str
    owner_department_id: int | None
    description: str
    matter_id: int | None
    materials: list[str] | None
    previous_materials: list[str] | None


class MonthCount(BaseModel):
    month: str
    count: int


class ChangeVolume(BaseModel):
    change_id: int
    type: ChangeType
    changed_on: date
    before: list[MonthCount]
    after: list[MonthCount]
    avg_before: float | None
    avg_after: float | None
    change_pct: float | None


class VolumeOut(BaseModel):
    months: list[MonthCount]
    changes: list[ChangeVolume]


class IssueOut(BaseModel):
    id: int
    title: str
    root_cause: str
    matter_id: int | None
    matter_name: str | None
    owner_department_id: int | None
    status: str
    created_at: datetime
    case_count: int
    cases: list[CaseRef] = []
    changes: list[ChangeOut] = []


class SuggestionOut(BaseModel):
    label: str
    case_ids: list[int]
    titles: list[str]
    size: int


class MatterLinksOut(BaseModel):
    id: int
    code: str
    name: str
    materials: list[str]
    systemic_issues: list[IssueOut]
    guide_changes: list[ChangeOut]
