"""Request and answer bodies of ``dispatch/api.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    matter: str = Field(min_length=1, max_length=100)
    keywords: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=50)
    department_id: int
    co_department_ids: list[int] = Field(default=[], max_length=20)
    note: str | None = Field(default=None, max_length=2000)
    active: bool = True


class EntryOut(BaseModel):
    id: int
    matter: str
    keywords: list[str]
    department_id: int
    co_department_ids: list[int]
    note: str | None
    active: bool
    updated_at: datetime


class ImportErrorOut(BaseModel):
    row: int
    code: str
    message: str


class ImportOut(BaseModel):
    created: int
    updated: int
    errors: list[ImportErrorOut]
    dry_run: bool


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=10000)


class MatchOut(BaseModel):
    entry_id: int
    matter: str
    department_id: int
    co_department_ids: list[int]
    matched: list[str]
