"""In-app notices, delivered through the outbox.

A notice is an outbox row on the ``inapp`` channel; its delivery is the ``notices`` row,
written in the same transaction (``deliver_inapp``, registered with
``outbox.service.register_transactional_channel`` by ``bancheng.hooks.install``), so
the row and the notice commit or roll back together and the deliveries page lists
in-app notices beside SMS, e-mail and webhooks.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.config import get_settings
from bancheng.notify import repository
from bancheng.notify.models import Notice
from bancheng.outbox import service as outbox
from bancheng.outbox.models import OutboxMessage

INAPP = "inapp"


def deliver_inapp(session: Session, msg: OutboxMessage) -> str:
    p = msg.payload
    n = Notice(
        department_id=p["department_id"],
        user_id=p.get("user_id"),
        case_id=p.get("case_id"),
        kind=str(p.get("notice_kind") or "notice")[:24],
        title=str(p.get("title") or msg.subject or "")[:200],
        body=p.get("body"),
        created_at=msg.created_at,
    )
    session.add(n)
    session.flush()
    return f"notice:{n.id}"


def notice(
    session: Session,
    *,
    department_id: int,
    kind: str,
    title: str,
    body: str | None = None,
    case_id: int | None = None,
    user_id: int | None = None,
    key: str | None = None,
) -> Notice | None:
    """An in-app notice to a unit (``user_id`` None) or to one person in it. ``key`` makes
    it idempotent (a job run twice notifies once); without one every call notifies."""
    msg = outbox.enqueue(
        session,
        channel=INAPP,
        kind=f"notice.{kind}",
        idempotency_key=key or f"notice:{uuid.uuid4().hex}",
        recipient=f"user:{user_id}" if user_id else f"department:{department_id}",
        subject=title[:200],
        payload={
            "department_id": department_id,
            "user_id": user_id,
            "case_id": case_id,
            "notice_kind": kind,
            "title": title[:200],
            "body": body,
        },
        case_id=case_id,
        user_id=user_id,
    )
    if msg is None or not msg.provider_ref:
        return None
    return repository.notice_row(session, int(msg.provider_ref.split(":", 1)[1]))


def case_notice(
    session: Session,
    case: Case,
    department_id: int,
    kind: str,
    label: str,
    body: str,
    key: str | None = None,
) -> None:
    """A notice to a unit about ``case``, titled ``label：number`` (see ``notice``)."""
    title = f"{label}：{case.number}"
    notice(
        session,
        department_id=department_id,
        kind=kind,
        title=title,
        body=body,
        case_id=case.id,
        key=key,
    )


def notices_from_select(session: Session, rows: Select[Any], kind: str, key_prefix: str) -> None:
    """Set-based notices for a sweep over many cases: ``rows`` selects (department_id,
    case_id, title) per case; one outbox row (recorded as sent, keyed
    ``key_prefix + case id``) and one notice each, in two statements."""
    repository.add_notices_from_select(
        session,
        rows,
        channel=INAPP,
        kind=kind,
        key_prefix=key_prefix,
        now=clock.now(),
        max_attempts=get_settings().outbox_max_attempts,
    )
