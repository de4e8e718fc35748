"""Every query of the notices and of the message administration. Notices are scoped to
the people they are addressed to: the caller's unit and the units below it, and the
caller; templates, subscriptions and preferences are not unit-owned."""

from __future__ import annotations

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from bancheng.notify.models import (
    MessageTemplate,
    Notice,
    NotificationPreference,
    WebhookSubscription,
)
from bancheng.org.scope import Principal


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
