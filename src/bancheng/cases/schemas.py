"""Request and response models of the case API. Unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field

from bancheng.cases.enums import (
    BlockerType,
    Channel,
    Difficulty,
    Kind,
    Nature,
    Outcome,
    Rating,
    ReporterType,
    State,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReporterIn(Strict):
    type: ReporterType = ReporterType.person
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=5, max_length=30)
    id_number: str | None = Field(default=None, max_length=18)
    org_name: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, max_length=18)


Datum = Literal["wgs84", "gcj02"]


class LocationIn(Strict):
    """Where the matter is: an address, coordinates (with their datum), or both."""

    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    datum: Datum = "wgs84"


class LocationOut(BaseModel):
    address: str | None
    latitude: float | None
    longitude: float | None
    datum: Datum | None
    source: str | None
    wgs84_lat: float | None
    wgs84_lng: float | None


class CaseCreate(Strict):
    channel: Channel
    kind: Kind
    difficulty: Difficulty = Difficulty.general
    blocker_type: BlockerType = BlockerType.other
    # Every blocker of the case, the main one first; when given, ``blocker_type`` is taken
    # from it (and, when also given, must be the first).
    blocker_types: list[BlockerType] | None = Field(default=None, max_length=6)
    title: str = Field(max_length=200)
    description: str = Field(max_length=10000)
    reporter: ReporterIn
    matter_id: int | None = None
    stuck_department_id: int | None = None
    hall_id: int | None = None
    window_id: int | None = None
    location: LocationIn | None = None


class ActionIn(Strict):
    """One move of the lifecycle. Which fields are needed depends on the action: see
    ``GET /cases/{id}/actions``."""

    version: int = Field(ge=1)
    reason: str | None = Field(default=None, max_length=2000)
    department_id: int | None = None
    suggested_department_id: int | None = None
    outcome: Outcome | None = None
    resolution: str | None = Field(default=None, max_length=10000)
    policy_explanation: str | None = Field(default=None, max_length=5000)
    alternative: str | None = Field(default=None, max_length=5000)
    alternative_owner: str | None = Field(default=None, max_length=200)
    notification_text: str | None = Field(default=None, max_length=10000)
    notification_materials: list[str] | None = Field(default=None, max_length=100)
    rating: Rating | None = None
    # evaluate at the window: the offline indicator set's 1–5 scores by code, and for a bad
    # review the checklist's reasons (feedback/ratings.py)
    scores: dict[str, int] | None = Field(default=None, max_length=20)
    bad_reasons: list[str] | None = Field(default=None, max_length=20)
    # evaluate: the offline channel the reporter rated on — at the window (its evaluation
    # device, the default), a self-service terminal, or a 12345 hotline call
    rating_channel: Literal["hall", "terminal", "hotline_12345"] | None = None
    kind: Kind | None = None
    difficulty: Difficulty | None = None
    blocker_type: BlockerType | None = None
    blocker_types: list[BlockerType] | None = Field(default=None, max_length=6)
    nature: Nature | None = None
    matter_id: int | None = None
    new_due_date: date | None = None
    approve: bool | None = None
    # dispatch: the co-handling units beside the lead (``department_id``) and the working
    # days they have to reply (default: the ``co_handling_reply_workdays`` setting).
    co_department_ids: list[int] | None = Field(default=None, max_length=10)
    co_due_workdays: int | None = Field(default=None, ge=1, le=30)
    # co_reply: a co-handling unit's reply (and which assignment, when the caller's unit
    # holds more than one on the case).
    reply: str | None = Field(default=None, max_length=5000)
    co_handler_id: int | None = None
    # resolve while co-handling replies are outstanding: why the lead does not wait.
    co_handling_note: str | None = Field(default=None, max_length=2000)
    # request_end: end the case as unreasonable or invalid (the basis goes in ``reason``).
    end_as: Literal["unreasonable", "invalid"] | None = None


class DepartmentRef(BaseModel):
    id: int
    name: str


class CoHandlerOut(BaseModel):
    id: int
    department: DepartmentRef
    status: Literal["pending", "replied", "cancelled", "lapsed"]
    assigned_at: datetime
    workdays: int
    due_date: date
    due_at: datetime
    deadline_provisional: bool
    overdue: bool
    reply: str | None
    replied_at: datetime | None
    replied_by_name: str | None


class ObjectionOut(BaseModel):
    id: int
    department: DepartmentRef
    reason: str
    suggested_department: DepartmentRef | None
    status: Literal["pending", "accepted", "rejected", "lapsed"]
    raised_at: datetime
    raised_by_name: str
    decided_at: datetime | None
    decided_by_name: str | None
    decision_note: str | None


class ReporterOut(BaseModel):
    type: ReporterType
    name: str
    phone: str
    id_number: str | None
    org_name: str | None
    credit_code: str | None
    masked: bool


class CaseSummary(BaseModel):
    id: int
    number: str
    state: State
    channel: Channel
    kind: Kind
    difficulty: Difficulty
    blocker_type: BlockerType
    # Every blocker, the main one first.
    blocker_types: list[BlockerType] = []
    nature: Nature | None
    title: str
    reporter_name: str
    reporter_phone: str
    current_department: DepartmentRef
    registered_at: datetime
    updated_at: datetime
    transfer_count: int
    needs_supervision: bool
    version: int
    due_at: datetime | None = None
    due_date: date | None = None
    deadline_provisional: bool = False
    light: Literal["green", "yellow", "red"] | None = None
    hotline_order_number: str | None = None
    address: str | None = None
    # WGS-84, for the console's map (converted from GCJ-02 where that was given).
    wgs84_lat: float | None = None
    wgs84_lng: float | None = None
    # 并单: the master this case was merged into (it follows the master's progress).
    merged_into_id: int | None = None


class ExtensionOut(BaseModel):
    id: int
    requested_at: datetime
    reason: str
    old_due_date: date
    new_due_date: date
    extra_workdays: int
    # The working days were counted through a year the calendar does not know yet; they are
    # recounted between the same two dates when it is imported.
    deadline_provisional: bool = False
    status: str
    decided_at: datetime | None
    decision_note: str | None


class EndRequestOut(BaseModel):
    end_as: Literal["unreasonable", "invalid"]
    basis: str
    requested_by_id: int | None
    requested_at: datetime


class CaseOut(CaseSummary):
    description: str
    reporter: ReporterOut
    matter_id: int | None
    matter_name: str | None
    stuck_department: DepartmentRef | None
    first_receipt_department: DepartmentRef
    first_receipt_user_id: int | None
    assignee_id: int | None
    suggested_department: DepartmentRef | None
    hall_id: int | None
    window_id: int | None
    return_count: int
    reopen_count: int
    supervision_reason: str | None
    suspended_from: State | None
    outcome: Outcome | None
    resolution: str | None
    policy_explanation: str | None
    alternative: str | None
    alternative_owner: str | None
    notification_text: str | None
    notification_materials: list[str] | None
    rating: Rating | None
    resolved_on_spot: bool
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None = None
    clock_started_at: datetime | None = None
    paused_seconds: float = 0.0
    extension_workdays: int = 0
    extensions: list[ExtensionOut] = []
    co_handlers: list[CoHandlerOut] = []
    objections: list[ObjectionOut] = []
    location: LocationOut | None = None
    # A request to end the case as unreasonable or invalid, waiting for a supervisor.
    end_request: EndRequestOut | None = None


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    # True when there are more than ``total`` matches (the count stops at 1,000).
    total_capped: bool = False
    page: int
    page_size: int


class EventOut(BaseModel):
    id: int
    at: datetime
    action: str
    label: str
    from_state: State | None
    to_state: State | None
    actor_name: str
    actor_department: DepartmentRef | None
    reason: str | None
    details: dict[str, Any]
    public: bool


class RequiredWhen(BaseModel):
    """A field a move needs only when another field of the request has a given value (the
    no-veto fields when ``outcome`` is ``cannot_by_policy``; a reason when ``approve`` is
    false)."""

    field: str
    when_field: str
    equals: str | bool


class AvailableAction(BaseModel):
    action: str
    label: str
    required: list[str]
    required_when: list[RequiredWhen] = []
    warning: str | None = None


class AttachmentOut(BaseModel):
    id: int
    sha256: str
    media_type: str
    size: int
    original_name: str
    width: int | None
    height: int | None
    created_at: datetime


SortField = Literal[
    "registered_at", "updated_at", "number", "state", "kind", "transfer_count", "due_at"
]
LightName = Literal["green", "yellow", "red"]


class CaseFilter(Strict):
    state: list[State] | None = None
    channel: list[Channel] | None = None
    kind: list[Kind] | None = None
    difficulty: list[Difficulty] | None = None
    blocker_type: list[BlockerType] | None = None
    nature: list[Nature] | None = None
    department_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = Field(default=None, max_length=100)
    needs_supervision: bool | None = None
    light: list[LightName] | None = None
    # The 12345 order number (exact), an area ``min_lng,min_lat,max_lng,max_lat`` (WGS-84)
    # and an address fragment.
    hotline_order_number: str | None = Field(default=None, max_length=64)
    bbox: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=100)
    # Cases merged into a master (并单) are left out unless asked for: a group counts once.
    include_merged: bool = False
    # Cases awaiting a co-handling reply (协办) from this unit or a unit below it.
    awaiting_reply_department_id: int | None = None
    sort: SortField = "registered_at"
    order: Literal["asc", "desc"] = "desc"
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=200)


class LightCount(BaseModel):
    department: DepartmentRef
    green: int = 0
    yellow: int = 0
    red: int = 0


class _FoundCase(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def state(self) -> str: ...


class CaseRefOut(BaseModel):
    """The case an answer names (a similar case, a ledger precedent, a merged case); ``of``
    fills these fields from the case, the subclass's own come as keywords."""

    id: int
    number: str
    title: str
    state: str

    @classmethod
    def of(cls, case: _FoundCase, **fields: Any) -> Self:
        return cls(id=case.id, number=case.number, title=case.title, state=case.state, **fields)
