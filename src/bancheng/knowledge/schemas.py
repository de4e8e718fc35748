"""Request and answer bodies of ``knowledge/api.py``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from bancheng.cases.schemas import CaseRefOut


class LibraryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, max_length=20000)
    stuck_point: str | None = Field(default=None, max_length=20000)
    solution: str | None = Field(default=None, max_length=20000)
    policy_basis: str | None = Field(default=None, max_length=20000)
    tags: list[str] | None = Field(default=None, max_length=30)


class _FromCase(BaseModel):
    case_id: int


# A case for the library, with the texts that replace its own (those of a patch). Pydantic
# takes the fields base by base from the last, so ``case_id`` comes first.
class LibraryIn(LibraryPatch, _FromCase):
    pass


class Finding(BaseModel):
    field: str
    kind: str
    text: str


class LibraryOut(BaseModel):
    id: int
    source_case_id: int | None
    title: str
    summary: str
    stuck_point: str
    solution: str
    policy_basis: str
    tags: list[str]
    matter_id: int | None
    blocker_type: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    findings: list[Finding] = []
    score: float | None = None


class MaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=50000)
    names: list[str] = Field(default_factory=list, max_length=20)


class MaskOut(BaseModel):
    masked: str
    findings: list[Finding]


class LedgerPrecedentOut(CaseRefOut):
    score: float
    outcome: str | None
    outcome_label: str | None
    resolution: str | None
    policy_explanation: str | None
    alternative: str | None
    blocker_types: list[str]
    resolved_at: datetime | None


class PrecedentsOut(BaseModel):
    ledger: list[LedgerPrecedentOut]
    library: list[LibraryOut]
