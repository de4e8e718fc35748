"""Request and answer bodies of ``routing/api.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bancheng.cases.schemas import CaseRefOut, Strict


class SuggestIn(Strict):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=10000)
    matter_id: int | None = None


class RankedOut(BaseModel):
    category: str
    confidence: float
    department_id: int | None
    department_name: str | None


class SimilarOut(CaseRefOut):
    score: float
    possible_duplicate: bool
    resolution: str | None
    registered_at: datetime
    # With distance weighting: the text score alone and the distance (metres).
    text_score: float | None = None
    distance_m: float | None = None
    # 并单: the master this case was merged into, if any.
    merged_into_id: int | None = None


class UnitOut(BaseModel):
    department_id: int
    department_name: str
    score: float


class SuggestOut(BaseModel):
    ranked: list[RankedOut]
    auto_dispatch: bool
    threshold: float | None
    department_id: int | None
    matter_department_id: int | None
    units: list[UnitOut]
    unit_source: str
    unit_confidence: float | None
    similar: list[SimilarOut]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    other_case_id: int


class LinkOut(BaseModel):
    case_id: int
    number: str


class TargetOut(BaseModel):
    category: str
    department_id: int
    department_name: str


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=32)
    department_id: int


class HotIssueOut(BaseModel):
    case_ids: list[int]
    reports: int
    reporters: int
    first_at: datetime
    last_at: datetime
    heat: float
    titles: list[str]


class UnitModelOut(BaseModel):
    id: int
    version: str
    created_at: datetime
    n_train: int
    n_eval: int
    decision: str
    active: bool
    figures: dict[str, Any]
    previous_id: int | None
    reverted_at: datetime | None
    reverted_by_id: int | None


class MergeIn(Strict):
    master_id: int
    reason: str = Field(default="", max_length=500)
    version: int
    # The similarity the suggestion showed, kept with the merge (how good suggestions are).
    score: float | None = Field(default=None, ge=0.0, le=1.0)


class UnmergeIn(Strict):
    reason: str = Field(default="", max_length=500)
    version: int


class MergedCaseOut(CaseRefOut):
    registered_at: datetime
    reporter_name: str
    reporter_phone: str
    reason: str | None = None
    merged_at: datetime | None = None
    score: float | None = None


class MergeOut(BaseModel):
    """A case's place in a merged group: the master it follows (``None`` when it is not
    merged, or when the master is outside the caller's scope: ``merged`` says which) and
    the followers merged into it that the caller may see."""

    case_id: int
    merged: bool
    master: MergedCaseOut | None
    followers: list[MergedCaseOut]
    can_undo: bool
