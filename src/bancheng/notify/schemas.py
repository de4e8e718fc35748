"""Request and response models of the notices and of the message administration
(templates, webhook subscriptions, a user's notification preferences)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# --- notices ---------------------------------------------------------------------------


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    department_id: int
    user_id: int | None
    case_id: int | None
    kind: str
    title: str
    body: str | None
    created_at: datetime
    read_at: datetime | None


class NoticePage(BaseModel):
    items: list[NoticeOut]
    total: int
    unread: int


# --- templates -------------------------------------------------------------------------


class Variable(BaseModel):
    name: str
    label: str


class TemplateOut(BaseModel):
    kind: str
    label: str
    audience: str
    subject: str
    body: str
    variables: list[Variable]
    sms_params: list[str]
    sms_aliyun_code: str | None
    sms_tencent_id: str | None
    enabled: bool
    customised: bool


class TemplateIn(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=1000)
    sms_aliyun_code: str | None = Field(default=None, max_length=64)
    sms_tencent_id: str | None = Field(default=None, max_length=64)
    sms_params: list[str] | None = Field(default=None, max_length=10)
    enabled: bool = True


# --- webhooks --------------------------------------------------------------------------


class SubscriptionOut(BaseModel):
    id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str  # shown once


class SubscriptionIn(BaseModel):
    name: str = Field(default="", max_length=100)
    url: str = Field(min_length=8, max_length=500)
    event_types: list[str] = Field(min_length=1, max_length=20)


class SubscriptionPatch(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, min_length=8, max_length=500)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=20)
    active: bool | None = None


class EventType(BaseModel):
    type: str
    label: str


# --- my notification preferences (profile) ---------------------------------------------


Channel = Literal["inapp", "email", "sms"]


class KindPreference(BaseModel):
    kind: str
    label: str
    channels: list[Channel]


class PreferencesOut(BaseModel):
    email: str | None
    phone_masked: str | None
    kinds: list[KindPreference]


class PreferencesIn(BaseModel):
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    kinds: dict[str, list[Channel]] = Field(default_factory=dict)
