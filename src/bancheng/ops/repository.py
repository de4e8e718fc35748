"""Every query of the operations endpoints: the case and outbox figures ``/metrics`` reads
at scrape time (whole-system counts, no data scope: the caller is the monitoring system)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.insights.models import LightSnapshot
from bancheng.insights.repository import count_lights
from bancheng.outbox.models import OutboxMessage


def cases_by_state(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Case.state, func.count()).group_by(Case.state).order_by(Case.state)
    )
    return [(state, n) for state, n in rows]


def open_cases_by_light(session: Session, now: datetime) -> tuple[int, int, int]:
    """(green, yellow, red): the scheduler's light snapshot when there is one, else counted."""
    snap = session.get(LightSnapshot, "*")
    if snap is not None:
        return snap.green, snap.yellow, snap.red
    green, yellow, red = count_lights(session, now)[0][1:]
    return green, yellow, red


def outbox_backlog(session: Session) -> dict[tuple[str, str], int]:
    """Messages not yet sent (pending, sending) and given up (dead), by (channel, state)."""
    return {
        (channel, state): n
        for channel, state, n in session.execute(
            select(OutboxMessage.channel, OutboxMessage.state, func.count())
            .where(OutboxMessage.state.in_(("pending", "sending", "dead")))
            .group_by(OutboxMessage.channel, OutboxMessage.state)
        )
    }


def oldest_due(session: Session, now: datetime) -> datetime | None:
    """When the oldest pending message that is due now became due."""
    return session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now
        )
    )
