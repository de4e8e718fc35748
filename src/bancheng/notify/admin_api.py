"""Administration of outward messages: the zh-CN templates (with their variables and SMS
template codes), webhook subscriptions and their replay; each user's channel choice per
kind of staff message (profile)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action
from bancheng.core import clock
from bancheng.core.crypto import get_crypto
from bancheng.core.deps import DB, api_router, current_principal, require
from bancheng.core.errors import Forbidden, Invalid, NotFound, present
from bancheng.core.validators import mask_phone, normalize_phone
from bancheng.notify import repository, webhooks
from bancheng.notify.models import MessageTemplate, NotificationPreference, WebhookSubscription
from bancheng.notify.schemas import (
    EventType,
    KindPreference,
    PreferencesIn,
    PreferencesOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    TemplateIn,
    TemplateOut,
    Variable,
)
from bancheng.notify.templates import (
    DEFAULTS,
    STAFF_CHANNELS,
    STAFF_KINDS,
    VARIABLE_LABELS,
    template_for,
    unknown_variables,
)
from bancheng.org import repository as org_repository
from bancheng.org.models import User
from bancheng.org.scope import Principal
from bancheng.outbox.api import message_detail
from bancheng.outbox.schemas import MessageDetail

router = api_router(prefix="/api/v1", tags=["notify"])
Kind = Annotated[str, Path(max_length=64)]
SubId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MsgId = Annotated[int, Path(ge=1, le=2**62)]


# --- templates -------------------------------------------------------------------------


def _out(session: Session, kind: str) -> TemplateOut:
    t = template_for(session, kind)
    return TemplateOut(
        kind=kind,
        label=t.label,
        audience=t.audience,
        subject=t.subject,
        body=t.body,
        variables=[Variable(name=v, label=VARIABLE_LABELS.get(v, v)) for v in t.variables],
        sms_params=list(t.sms_params),
        sms_aliyun_code=t.sms_aliyun_code,
        sms_tencent_id=t.sms_tencent_id,
        enabled=t.enabled,
        customised=t.customised,
    )


def _kind(kind: str) -> str:
    if kind not in DEFAULTS:
        raise NotFound("notify.template_not_found", "没有这种消息模板")
    return kind


@router.get("/notify/templates", response_model=list[TemplateOut])
def list_templates(session: DB, _: Principal = require("notify.manage")) -> list[TemplateOut]:
    return [_out(session, k) for k in DEFAULTS]


@router.put("/notify/templates/{kind}", response_model=TemplateOut)
def put_template(
    kind: Kind, body: TemplateIn, session: DB, p: Principal = require("notify.manage")
) -> TemplateOut:
    """Change a kind's wording; variables outside the kind's list are refused."""
    _kind(kind)
    bad = unknown_variables(kind, body.subject, body.body, *(body.sms_params or []))
    bad += [v for v in body.sms_params or [] if v not in DEFAULTS[kind].variables and v not in bad]
    if bad:
        raise Invalid(
            "notify.template_variable_unknown",
            f"模板中有未知变量：{'、'.join(bad)}",
            field="body",
            variables=bad,
        )
    row = repository.template(session, kind) or MessageTemplate(kind=kind)
    row.subject, row.body = body.subject, body.body
    row.sms_aliyun_code = (body.sms_aliyun_code or "").strip() or None
    row.sms_tencent_id = (body.sms_tencent_id or "").strip() or None
    row.sms_params = list(body.sms_params or DEFAULTS[kind].sms_params)
    row.enabled = body.enabled
    row.updated_at = clock.now()
    row.updated_by_id = p.user_id
    session.add(row)
    session.flush()
    log_action(session, p, "notify.template_update", "message_template", kind)
    return _out(session, kind)


@router.delete("/notify/templates/{kind}", response_model=TemplateOut)
def reset_template(kind: Kind, session: DB, p: Principal = require("notify.manage")) -> TemplateOut:
    """Back to the built-in wording."""
    _kind(kind)
    repository.delete_template(session, kind)
    log_action(session, p, "notify.template_reset", "message_template", kind)
    return _out(session, kind)


# --- webhooks --------------------------------------------------------------------------


def _sub(s: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(s, from_attributes=True)


@router.get("/notify/webhook-events", response_model=list[EventType])
def event_types(_: Principal = require("notify.manage")) -> list[EventType]:
    return [EventType(type=k, label=v) for k, v in webhooks.EVENT_TYPES.items()]


@router.get("/notify/webhooks", response_model=list[SubscriptionOut])
def list_webhooks(session: DB, _: Principal = require("notify.manage")) -> list[SubscriptionOut]:
    return [_sub(s) for s in repository.subscriptions(session)]


@router.post("/notify/webhooks", status_code=201, response_model=SubscriptionCreated)
def create_webhook(
    body: SubscriptionIn, session: DB, p: Principal = require("notify.manage")
) -> SubscriptionCreated:
    """Register a subscription; the answer carries its signing secret, shown this once."""
    sub, secret = webhooks.create(session, body.name, body.url, body.event_types, p.user_id)
    log_action(
        session, p, "notify.webhook_create", "webhook_subscription", str(sub.id), {"url": sub.url}
    )
    return SubscriptionCreated(**_sub(sub).model_dump(), secret=secret)


@router.patch("/notify/webhooks/{sub_id}", response_model=SubscriptionOut)
def update_webhook(
    sub_id: SubId, body: SubscriptionPatch, session: DB, p: Principal = require("notify.manage")
) -> SubscriptionOut:
    sub = webhooks.update(session, sub_id, body.name, body.url, body.event_types, body.active)
    log_action(session, p, "notify.webhook_update", "webhook_subscription", str(sub.id))
    return _sub(sub)


@router.post("/outbox/messages/{message_id}/replay", status_code=201, response_model=MessageDetail)
def replay(
    message_id: MsgId, session: DB, p: Principal = require("notify.manage")
) -> MessageDetail:
    """Deliver a webhook event again (a new delivery with the same event id)."""
    msg = webhooks.replay(session, message_id)
    log_action(
        session, p, "notify.webhook_replay", "outbox_message", str(message_id), {"new": msg.id}
    )
    return message_detail(session, msg)


# --- my notification preferences (profile) ---------------------------------------------


def _prefs(session: Session, user: User) -> PreferencesOut:
    from bancheng.notify.messages import channels_for

    return PreferencesOut(
        email=user.email,
        phone_masked=user.phone_masked,
        kinds=[
            KindPreference(
                kind=k,
                label=DEFAULTS[k].label,
                channels=channels_for(session, user.id, k),  # type: ignore[arg-type]
            )
            for k in STAFF_KINDS
        ],
    )


def _user(session: Session, p: Principal) -> User:
    if p.must_change_password:
        raise Forbidden("auth.password_change_required", "请先修改初始密码")
    return present(
        org_repository.user(session, p.user_id), NotFound("user.not_found", "用户不存在")
    )


@router.get("/auth/me/notifications", response_model=PreferencesOut)
def my_preferences(session: DB, p: Principal = Depends(current_principal)) -> PreferencesOut:
    return _prefs(session, _user(session, p))


@router.put("/auth/me/notifications", response_model=PreferencesOut)
def set_my_preferences(
    body: PreferencesIn, session: DB, p: Principal = Depends(current_principal)
) -> PreferencesOut:
    """Where staff messages reach me: in-app, e-mail or SMS, per kind. An empty e-mail or
    phone removes it; ``null`` leaves it as it is."""
    user = _user(session, p)
    unknown = sorted(set(body.kinds) - set(STAFF_KINDS))
    if unknown:
        raise Invalid("notify.kind_unknown", "未知的消息类型", field="kinds", kinds=unknown)
    if body.email is not None:
        email = body.email.strip()
        if email and ("@" not in email or " " in email or len(email) < 3):
            raise Invalid("notify.email_invalid", "电子邮箱格式不正确", field="email")
        user.email = email or None
    if body.phone is not None:
        if body.phone.strip():
            phone = normalize_phone(body.phone)
            user.phone_enc = get_crypto().encrypt(phone)
            user.phone_masked = mask_phone(phone)
        else:
            user.phone_enc = user.phone_masked = None
    for kind, chans in body.kinds.items():
        if "email" in chans and not user.email:
            raise Invalid("notify.email_missing", "请先填写电子邮箱", field="email")
        if "sms" in chans and not user.phone_enc:
            raise Invalid("notify.phone_missing", "请先填写手机号码", field="phone")
        row = repository.preference(session, user.id, kind)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind)
            session.add(row)
        row.channels = sorted(set(chans), key=STAFF_CHANNELS.index)
    session.flush()
    log_action(session, p, "notify.preferences_update", "user", str(user.id))
    return _prefs(session, user)
