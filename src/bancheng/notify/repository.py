"""Every query of the notices and of the message administration. Notices are scoped to
the people they are addressed to: the caller's unit and the units below it, and the
caller; templates, subscriptions and preferences are not unit-owned. Then the rows the
notify services write and read unscoped: the sweep's set-based notices, webhook
subscriptions and deliveries, and the accounts a message goes to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from bancheng.cases.models import CaseEvent
from bancheng.notify.models import (
    MessageTemplate,
    Notice,
    NotificationPreference,
    WebhookSubscription,
)
from bancheng.org.models import User
from bancheng.org.scope import Principal
from bancheng.outbox.models import OutboxMessage
from bancheng.sla.models import DeadlineExtension


def _addressed_to(p: Principal) -> Select[Notice]:
    return select(Notice).where(
        Notice.department_id.in_(sorted(p.unit_department_ids) or [-1]),
        or_(Notice.user_id.is_(None), Notice.user_id == p.user_id),
    )


def notices(
    session: Session, p: Principal, *, unread_only: bool, page: int, page_size: int
) -> tuple[list[Notice], int, int]:
    """A page of the caller's notices, newest first; how many match; how many are unread."""
    base = _addressed_to(p)
    unread_q = base.where(Notice.read_at.is_(None))
    stmt = unread_q if unread_only else base
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    n_unread = session.scalar(select(func.count()).select_from(unread_q.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Notice.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(rows), total, n_unread


def notice(session: Session, p: Principal, notice_id: int) -> Notice | None:
    """The notice if it is addressed to the caller (see ``notices``)."""
    row = session.get(Notice, notice_id)
    if (
        row is None
        or row.department_id not in p.unit_department_ids
        or row.user_id not in (None, p.user_id)
    ):
        return None
    return row


def templates(session: Session) -> list[MessageTemplate]:
    """Every administrator's wording (``templates.template_for`` caches them)."""
    return list(session.scalars(select(MessageTemplate)))


def template(session: Session, kind: str) -> MessageTemplate | None:
    """An administrator's wording of ``kind`` (none: the built-in one)."""
    return session.get(MessageTemplate, kind)


def delete_template(session: Session, kind: str) -> None:
    session.execute(delete(MessageTemplate).where(MessageTemplate.kind == kind))


def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def preference(session: Session, user_id: int, kind: str) -> NotificationPreference | None:
    return session.get(NotificationPreference, (user_id, kind))


def notice_row(session: Session, notice_id: int) -> Notice | None:
    """A notice by id, unscoped (the one an in-app delivery just wrote)."""
    return session.get(Notice, notice_id)


def _json_object(session: Session, dept: Any, case: Any, kind_value: str, title: Any) -> Any:
    kind = cast(literal(kind_value), String)
    if session.get_bind().dialect.name == "postgresql":
        return func.jsonb_build_object(
            "department_id", dept, "case_id", case, "notice_kind", kind, "title", title
        )
    return func.json_object(
        "department_id", dept, "case_id", case, "notice_kind", kind, "title", title
    )


def add_notices_from_select(
    session: Session,
    rows: Select[Any],
    *,
    channel: str,
    kind: str,
    key_prefix: str,
    now: datetime,
    max_attempts: int,
) -> None:
    """For each row of ``rows`` (department_id, case_id, title): one notice to the unit
    and one outbox row on ``channel`` recorded as sent (keyed ``key_prefix + case id``),
    in two INSERT … SELECT statements."""
    sub = rows.subquery()
    dept, case, title = sub.c[0], sub.c[1], sub.c[2]
    session.execute(
        insert(Notice).from_select(
            ["department_id", "case_id", "kind", "title", "created_at"],
            select(dept, case, literal(kind), title, literal(now)),
        )
    )
    session.execute(
        insert(OutboxMessage).from_select(
            [
                "channel",
                "kind",
                "idempotency_key",
                "recipient",
                "recipient_masked",
                "subject",
                "payload",
                "case_id",
                "state",
                "attempts",
                "max_attempts",
                "next_attempt_at",
                "created_at",
                "sent_at",
            ],
            select(
                literal(channel),
                literal(f"notice.{kind}"),
                literal(key_prefix) + cast(case, String),
                literal("department:") + cast(dept, String),
                literal(""),
                title,
                _json_object(session, dept, case, kind, title),
                case,
                literal("sent"),
                literal(1),
                literal(max_attempts),
                literal(now),
                literal(now),
                literal(now),
            ),
        )
    )


# -- webhooks ----------------------------------------------------------------------------


def subscription(session: Session, sub_id: int) -> WebhookSubscription | None:
    return session.get(WebhookSubscription, sub_id)


def active_subscriptions(session: Session) -> list[WebhookSubscription]:
    """The subscriptions that receive events."""
    return list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.active)))


def outbox_message(session: Session, message_id: int) -> OutboxMessage | None:
    """An outbox row by id, unscoped (a webhook delivery to replay)."""
    return session.get(OutboxMessage, message_id)


def replay_count(session: Session, idempotency_key: str) -> int:
    """How many replays of the message keyed ``idempotency_key`` were queued."""
    return sum(
        1
        for _ in session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.idempotency_key.startswith(idempotency_key + "#replay")
            )
        )
    )


# -- who is told -------------------------------------------------------------------------


def active_users(session: Session, *conds: ColumnElement[bool]) -> list[User]:
    """Active accounts matching every condition, by id."""
    return list(
        session.scalars(select(User).where(User.active.is_(True), *conds).order_by(User.id))
    )


def extension(session: Session, extension_id: Any) -> DeadlineExtension | None:
    """A deadline extension by id (None for a missing id)."""
    return session.get(DeadlineExtension, extension_id)


def last_dispatcher_id(session: Session, case_id: int) -> int | None:
    """Who made the case's last dispatch (派单)."""
    return session.scalar(
        select(CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id, CaseEvent.action == "dispatch")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
