"""Request and answer bodies of ``intake/api.py``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bancheng.cases.enums import Kind, Rating
from bancheng.cases.schemas import LocationIn


class PublicMatter(BaseModel):
    id: int
    name: str
    materials: list[str]


class PublicOptions(BaseModel):
    kinds: dict[str, str]
    matters: list[PublicMatter]


class PublicReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind
    matter_id: int | None = None
    title: str = Field(default="", max_length=200)
    description: str = Field(max_length=5000)
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=5, max_length=30)
    org_name: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, max_length=18)
    hall_id: int | None = None
    window_id: int | None = None
    staff: int | None = None
    website: str | None = Field(default=None, max_length=200)  # honeypot: must stay empty
    # Browser geolocation (WGS-84), sent only after the reporter agreed on the page.
    location: LocationIn | None = None


class PublicReportOut(BaseModel):
    number: str
    token: str
    due_date: date | None
    link: str


class PublicEvent(BaseModel):
    at: datetime
    action: str
    label: str
    department: str


class PublicMaster(BaseModel):
    state: str
    state_label: str
    due_date: date | None
    timeline: list[PublicEvent]


class RatingItem(BaseModel):
    code: str
    label: str


class RatingForm(BaseModel):
    indicator_set_id: int
    channel_type: str
    version: int
    indicators: list[RatingItem]
    bad_reasons: list[RatingItem]


class PublicCase(BaseModel):
    number: str
    state: str
    state_label: str
    kind_label: str
    title: str
    registered_at: datetime
    due_date: date | None
    timeline: list[PublicEvent]
    notification_text: str | None
    notification_materials: list[str]
    # While suspended: what the reporter must supply (补正), as the handler wrote it.
    supplement_request: str | None = None
    rating: str | None
    can_rate: bool
    round: int
    # 并单: this report was merged into another report of the same problem; its public
    # progress (state, deadline, timeline; not its title nor its reporter) is shown here.
    master: PublicMaster | None = None
    # While it can be rated: the last day of the late-rating window (Beijing date) and the
    # online indicator set (GB/T 39734-2020) with the bad-review checklist.
    rating_deadline: date | None = None
    rating_form: RatingForm | None = None
    # The reporter turned SMS about this case off (the status page's switch).
    sms_opt_out: bool = False


class PublicEvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rating: Rating
    timeliness: int | None = Field(default=None, ge=1, le=5)
    attitude: int | None = Field(default=None, ge=1, le=5)
    result: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
    # The online indicator set's 1–5 scores by code (``overall`` = the level), and for a
    # bad review the codes of the checklist's reasons (at least one).
    scores: dict[str, int] | None = Field(default=None, max_length=20)
    bad_reasons: list[str] | None = Field(default=None, max_length=20)
    # The 好差评 channel the page was reached by: the hall's QR code by default.
    channel: Literal["qr", "web", "app", "mini_program", "sms"] = "qr"


class PublicPhotoOut(BaseModel):
    id: int
    media_type: str
    size: int


class OptOutIn(BaseModel):
    opt_out: bool


class OptOutOut(BaseModel):
    number: str
    opt_out: bool


class DisclosureRates(BaseModel):
    on_time: float | None  # 按时办结率
    satisfaction: float | None  # 满意率
    bad_review: float | None  # 差评率
    rectification: float | None  # 整改率


class DisclosureFigures(BaseModel):
    registered: int
    resolved: int
    rated: int
    rates: DisclosureRates


class DisclosureUnit(DisclosureFigures):
    name: str


class DisclosureRectification(BaseModel):
    unit: str
    matter: str
    status: str
    status_label: str
    opened_on: date
    due_date: date
    completed_on: date | None
    result: str | None  # anonymised


class PublicDisclosure(BaseModel):
    month: str
    date_from: date
    date_to: date
    months: list[str]
    totals: DisclosureFigures
    units: list[DisclosureUnit]
    rectifications: list[DisclosureRectification]
    as_of: datetime | None
