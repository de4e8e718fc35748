"""Request and answer bodies of ``feedback/api.py``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from bancheng.cases.enums import Kind
from bancheng.cases.schemas import Strict


class RectificationOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    department_id: int
    due_date: date
    # The due date runs through a year the calendar does not know yet; recomputed on import.
    deadline_provisional: bool = False
    status: str
    note: str | None
    appeal_reason: str | None
    decision: str | None
    decision_note: str | None
    created_at: datetime


class NoteIn(Strict):
    note: str = Field(min_length=1, max_length=2000)


class AppealIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class AppealDecisionIn(Strict):
    uphold: bool
    note: str | None = Field(default=None, max_length=2000)


class AttemptOut(BaseModel):
    at: datetime
    outcome: str
    note: str | None


class CallbackOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    case_title: str
    reporter_name: str
    reporter_phone: str
    department_id: int
    reason: str
    round: int
    status: str
    failed_attempts: int
    confirmed_resolved: bool | None
    new_case_id: int | None
    script: str
    attempts: list[AttemptOut]
    created_at: datetime


class AttemptIn(Strict):
    outcome: Literal["reached", "unreachable", "refused"]
    note: str | None = Field(default=None, max_length=2000)


class ConfirmIn(Strict):
    resolved: bool
    note: str | None = Field(default=None, max_length=2000)


class RaiseCaseIn(Strict):
    kind: Kind = Kind.cannot_do
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10000)


class RaisedCase(BaseModel):
    id: int
    number: str


class EvaluationOut(BaseModel):
    id: int
    round: int
    rating: str
    timeliness: int | None
    attitude: int | None
    result: int | None
    comment: str | None
    source: str
    # the 好差评 channel it was given on (qr, sms, hall, terminal, hotline_12345, …); None
    # on rows from before it was recorded
    channel: str | None = None
    # GB/T 39734-2020 indicators: the set's id, scores by code, bad-review reasons' codes
    indicator_set_id: int | None = None
    scores: dict[str, int] | None = None
    bad_reasons: list[str] | None = None
    excluded: bool
    created_at: datetime


class SampleOut(BaseModel):
    reminded: int
    sampled: int


class RatingItemIO(Strict):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=50)


class IndicatorSetOut(BaseModel):
    id: int
    channel_type: str
    channel_type_label: str
    version: int
    indicators: list[RatingItemIO]
    bad_reasons: list[RatingItemIO]
    active: bool
    created_at: datetime


class IndicatorSetIn(Strict):
    indicators: list[RatingItemIO] = Field(min_length=1, max_length=12)
    bad_reasons: list[RatingItemIO] = Field(min_length=1, max_length=20)


class RankingItem(BaseModel):
    key: int
    name: str
    rank: int
    count: int
    bad: int
    satisfaction: float
    level: float
    score: float
    indicators: dict[str, float]
    flagged: bool


class RankingOut(BaseModel):
    unit: str
    month: str
    bottom: int
    min_count: int
    ranking: list[RankingItem]


class ReplyTemplateOut(BaseModel):
    id: int
    action: str
    action_label: str
    kind: str | None
    title: str
    body: str
    active: bool
    updated_at: datetime


class ReplyTemplateIn(Strict):
    action: str = Field(min_length=1, max_length=32)
    kind: Kind | None = None
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=5000)
    active: bool = True


class ReplyTemplatePatch(Strict):
    action: str | None = Field(default=None, min_length=1, max_length=32)
    kind: Kind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=100)
    body: str | None = Field(default=None, min_length=1, max_length=5000)
    active: bool | None = None


class VariableOut(BaseModel):
    name: str
    description: str


class ReplyTemplateAdmin(BaseModel):
    variables: list[VariableOut]
    actions: dict[str, str]
    templates: list[ReplyTemplateOut]


class FilledTemplate(BaseModel):
    id: int
    title: str
    kind: str | None
    text: str
