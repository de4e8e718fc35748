"""Answers of the log search: operation and login entries, pages of them, action codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class LogWindow:
    """The query parameters every log search shares: Beijing dates (both inclusive) and
    the page."""

    date_from: date | None = None
    date_to: date | None = None
    page: Annotated[int, Query(ge=1)] = 1
    page_size: Annotated[int, Query(ge=1, le=200)] = 50


class OperationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    ip: str | None
    details: dict[str, Any]
    action_label: str = ""
    object_label: str | None = None
    outcome_label: str = ""


class ActionOut(BaseModel):
    code: str
    label: str


class LoginOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    username: str
    user_id: int | None
    success: bool
    reason: str | None
    ip: str | None
    user_agent: str | None


class OperationPage(BaseModel):
    items: list[OperationOut]
    total: int


class LoginPage(BaseModel):
    items: list[LoginOut]
    total: int
