"""Request and response models of the integrations' HTTP routes: the 12345 platform's
work orders (``hotline_api.py``), the 12345 work-order import's report and its field list
(``hotline_import_api.py``), the console's map (``map_api.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

# --- the 12345 hotline platform ------------------------------------------------------


class AttachmentRef(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: AnyHttpUrl
    name: str = Field(default="", max_length=255)


class HotlineOrderIn(BaseModel):
    """A 12345 work order as the platform sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order_number: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    call_time: datetime
    caller_name: str = Field(min_length=1, max_length=100)
    caller_phone: str = Field(min_length=5, max_length=30)
    appeal_type: str = Field(min_length=1, max_length=20)
    title: str = Field(default="", max_length=200)
    content: str = Field(min_length=1, max_length=10000)
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    # Most 12345 platforms use Chinese map services, which give GCJ-02.
    datum: Literal["wgs84", "gcj02"] = "gcj02"
    urgency: Literal["normal", "urgent", "very_urgent"] = "normal"
    # The time limit: working days counted from the call, or a deadline. Neither: the
    # matching SLA policy applies.
    time_limit_workdays: int | None = Field(default=None, ge=0, le=365)
    due_at: datetime | None = None
    dispatching_unit: str = Field(default="", max_length=200)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=20)


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


class HotlineOrderOut(BaseModel):
    order_number: str
    status: str
    case_number: str
    state: str
    state_label: str
    due_at: datetime | None
    due_date: date | None
    times_received: int
    # created | replayed | updated | reopened | withdrawn | current
    result: str


class HotlineAttachmentOut(BaseModel):
    id: int
    media_type: str
    size: int


# --- the 12345 work-order import -----------------------------------------------------


class ImportProblem(BaseModel):
    field: str
    column: str
    reason: str


class ImportRow(BaseModel):
    row: int
    status: str
    external_id: str | None = None
    number: str | None = None
    errors: list[str] = []
    problems: list[ImportProblem] = []


class CaseImportReport(BaseModel):
    """``imported``: rows written (in a dry run: rows that would be). ``rows``: the rows
    not imported (duplicates, rejected), at most 1000."""

    source: str
    dry_run: bool
    committed: bool
    total: int
    imported: int
    duplicates: int
    rejected: int
    missing_columns: list[str]
    extra_columns: list[str]
    rows: list[ImportRow]
    rows_truncated: bool = False


class ImportField(BaseModel):
    field: str
    label: str
    header: str
    required: bool


# --- the console's map ---------------------------------------------------------------


class MapConfig(BaseModel):
    # None: no tile source is configured; the console lists cases instead of a map.
    tile_url: str | None
    datum: Literal["wgs84", "gcj02"]
    attribution: str
