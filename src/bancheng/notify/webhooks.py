"""Webhook subscriptions and the events they receive, delivered through the outbox.

Payload (version 1): ``{"version": 1, "id": "evt_...", "type": "case.state_changed",
"timestamp": "2026-12-01T08:00:00Z", "data": {...}}``. The event id is the message's
``webhook-id``; a replay is a new outbox row that keeps it, so a receiver that already has
the event can drop it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.cache import Cached
from bancheng.core.config import get_settings
from bancheng.core.crypto import get_crypto
from bancheng.core.errors import Conflict, Invalid, NotFound, present
from bancheng.notify import repository
from bancheng.notify.models import WebhookSubscription
from bancheng.outbox import service as outbox
from bancheng.outbox.http import check_url, new_secret
from bancheng.outbox.models import OutboxMessage

PAYLOAD_VERSION = 1
EVENT_TYPES = {
    "case.created": "案件登记",
    "case.state_changed": "案件状态变化",
    "case.resolved": "案件办结",
    "case.evaluated": "群众评价",
    "rectification.opened": "差评整改开始",
    "rectification.completed": "差评整改完成",
    "order.issued": "督办单下达",
    "order.escalated": "督办单升级",
    "order.replied": "督办单回复",
    "order.closed": "督办单办结",
}


def _check_types(types: list[str]) -> list[str]:
    bad = [t for t in types if t not in EVENT_TYPES]
    if bad or not types:
        raise Invalid("webhook.event_type_unknown", "请选择有效的事件类型", field="event_types")
    return sorted(set(types))


def create(
    session: Session, name: str, url: str, types: list[str], user_id: int | None
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (``whsec_...``), shown once."""
    check_url(url.strip(), get_settings().outbox_allow_private_targets)
    secret = new_secret()
    sub = WebhookSubscription(
        name=name.strip()[:100] or url,
        url=url.strip(),
        event_types=_check_types(types),
        secret_enc=get_crypto().encrypt(secret),
        active=True,
        created_at=clock.now(),
        created_by_id=user_id,
    )
    session.add(sub)
    session.flush()
    return sub, secret


def update(
    session: Session,
    sub_id: int,
    name: str | None,
    url: str | None,
    types: list[str] | None,
    active: bool | None,
) -> WebhookSubscription:
    sub = get(session, sub_id)
    if url is not None:
        check_url(url.strip(), get_settings().outbox_allow_private_targets)
        sub.url = url.strip()
    if name is not None:
        sub.name = name.strip()[:100] or sub.url
    if types is not None:
        sub.event_types = _check_types(types)
    if active is not None:
        sub.active = active
    session.flush()
    return sub


def get(session: Session, sub_id: int) -> WebhookSubscription:
    return present(
        repository.subscription(session, sub_id), NotFound("webhook.not_found", "订阅不存在")
    )


@dataclass(frozen=True)
class Subscriber:
    id: int
    url: str
    event_types: tuple[str, ...]
    secret_enc: str


def _active(session: Session) -> list[Subscriber]:
    return [
        Subscriber(s.id, s.url, tuple(s.event_types or ()), s.secret_enc)
        for s in repository.active_subscriptions(session)
    ]


ACTIVE = Cached("webhook_subscriptions", (WebhookSubscription,), _active)


def publish(
    session: Session, event_type: str, source_key: str, data: dict[str, Any], case_id: int | None
) -> int:
    """One outbox row per active subscription to ``event_type``. ``source_key`` names the
    cause (``case_event:123``) so the same event is never queued twice."""
    subs = [s for s in ACTIVE.get(session) if event_type in s.event_types]
    if not subs:
        return 0
    event_id = "evt_" + hashlib.sha256(f"{event_type}:{source_key}".encode()).hexdigest()[:24]
    body = {
        "version": PAYLOAD_VERSION,
        "id": event_id,
        "type": event_type,
        "timestamp": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
    crypto = get_crypto()
    n = 0
    for s in subs:
        msg = outbox.enqueue(
            session,
            channel="webhook",
            kind=f"webhook.{event_type}",
            idempotency_key=f"{event_id}:sub{s.id}",
            recipient=s.url,
            recipient_masked=s.url[:200],
            payload={"body": body, "webhook_id": event_id},
            secrets={"signing_secret": crypto.decrypt(s.secret_enc)},
            case_id=case_id,
        )
        if msg is not None:
            msg.subscription_id = s.id
            n += 1
    return n


def replay(session: Session, message_id: int) -> OutboxMessage:
    """Deliver a webhook message again, as a new outbox row with the same event id and
    the subscription's current address and secret."""
    orig = repository.outbox_message(session, message_id)
    if orig is None or orig.channel != "webhook" or orig.subscription_id is None:
        raise NotFound("webhook.delivery_not_found", "投递记录不存在")
    sub = get(session, orig.subscription_id)
    if not sub.active:
        raise Conflict("webhook.inactive", "该订阅已停用")
    n = repository.replay_count(session, orig.idempotency_key)
    msg = outbox.enqueue(
        session,
        channel="webhook",
        kind=orig.kind,
        idempotency_key=f"{orig.idempotency_key}#replay{n + 1}",
        recipient=sub.url,
        recipient_masked=sub.url[:200],
        payload=dict(orig.payload or {}),
        secrets={"signing_secret": get_crypto().decrypt(sub.secret_enc)},
        case_id=orig.case_id,
    )
    assert msg is not None
    msg.subscription_id = sub.id
    session.flush()
    return msg
