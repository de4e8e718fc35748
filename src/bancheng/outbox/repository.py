"""Every query of the deliveries page. A supervisor whose scope is limited sees the
messages about cases in it (by the unit that holds the case) and the messages to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.org.scope import Principal, unit_clause
from bancheng.outbox.models import OutboxAttempt, OutboxMessage


def _visible(p: Principal) -> list[Any]:
    if p.sees_all:
        return []
    cases = select(Case.id).where(unit_clause(p, Case.current_department_id))
    return [or_(OutboxMessage.case_id.in_(cases), OutboxMessage.user_id == p.user_id)]


def message(session: Session, p: Principal, message_id: int) -> OutboxMessage | None:
    """The message if the caller may see it."""
    return session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id, *_visible(p)))


def messages(
    session: Session,
    p: Principal,
    *,
    state: str | None,
    channel: str | None,
    kind: str | None,
    case_id: int | None,
    subscription_id: int | None,
    page: int,
    page_size: int,
) -> tuple[list[OutboxMessage], int, dict[str, int]]:
    """A page of the messages the caller may see, newest first; how many match; and how
    many are in each state over the same filters without ``state``. ``kind`` is a prefix."""
    filters = _visible(p)
    if channel:
        filters.append(OutboxMessage.channel == channel)
    if kind:
        filters.append(OutboxMessage.kind.startswith(kind, autoescape=True))
    if case_id:
        filters.append(OutboxMessage.case_id == case_id)
    if subscription_id:
        filters.append(OutboxMessage.subscription_id == subscription_id)
    counts = {
        s: int(n)
        for s, n in session.execute(
            select(OutboxMessage.state, func.count()).where(*filters).group_by(OutboxMessage.state)
        ).all()
    }
    if state:
        filters.append(OutboxMessage.state == state)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*filters)) or 0
    rows = session.scalars(
        select(OutboxMessage)
        .where(*filters)
        .order_by(OutboxMessage.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), int(total), counts


def attempts(session: Session, message_id: int) -> list[OutboxAttempt]:
    """The delivery log of one message, oldest first."""
    return list(
        session.scalars(
            select(OutboxAttempt)
            .where(OutboxAttempt.message_id == message_id)
            .order_by(OutboxAttempt.id)
        )
    )
