"""Every query of the operations: the case and outbox figures ``/metrics`` reads at scrape
time (whole-system counts, no data scope: the caller is the monitoring system), and the
key rotation's batches of encrypted values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select, update
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


# -- key rotation (``ops/key_rotation.py``): batches by id, updates by id ---------------------


def case_secrets_after(
    session: Session, last_id: int, batch: int
) -> Sequence[Row[int, str, str, str | None]]:
    """The next ``batch`` cases after ``last_id``, by id: (id, reporter_phone_enc,
    reporter_phone_hash, reporter_id_enc)."""
    return session.execute(
        select(Case.id, Case.reporter_phone_enc, Case.reporter_phone_hash, Case.reporter_id_enc)
        .where(Case.id > last_id)
        .order_by(Case.id)
        .limit(batch)
    ).all()


def encrypted_values_after(
    session: Session, model: Any, columns: list[Any], last_id: int, batch: int
) -> Sequence[Any]:
    """The next ``batch`` rows of ``model`` after ``last_id`` with a value in one of
    ``columns``, by id: (id, *columns)."""
    return session.execute(
        select(model.id, *columns)
        .where(model.id > last_id, or_(*(c.is_not(None) for c in columns)))
        .order_by(model.id)
        .limit(batch)
    ).all()


def update_by_id(session: Session, model: Any, row_id: int, values: dict[str, Any]) -> None:
    """A core UPDATE of one row by id (no ORM bookkeeping: a case's version stays)."""
    session.execute(
        update(model).where(model.id == row_id).values(**values),
        execution_options={"synchronize_session": False},
    )
