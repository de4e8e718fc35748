"""Every query of the outbox. The deliveries page: a supervisor whose scope is limited
sees the messages about cases in it (by the unit that holds the case) and the messages to
them. Then the outbox's own writes (enqueue, retry) and the delivery worker's claims,
outcomes and SQLite sender lease."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core.db import insert_now
from bancheng.core.repository import in_id_order
from bancheng.org.scope import Principal, unit_clause
from bancheng.outbox.models import OutboxAttempt, OutboxLease, OutboxMessage


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
    return in_id_order(session, OutboxAttempt, OutboxAttempt.message_id == message_id)


# -- the outbox itself: enqueue, retry, find (``outbox.service``) ------------------------


def insert_message(session: Session, values: dict[str, Any]) -> OutboxMessage | None:
    """Insert one message unless one with its idempotency key exists (then ``None``): one
    INSERT, no unit of work (a registration holds the case-number counter's lock until
    it commits)."""
    msg = OutboxMessage(**values)
    return msg if insert_now(session, msg, unless_exists="idempotency_key") else None


def message_for_update(session: Session, message_id: int) -> OutboxMessage | None:
    """One message, its row locked."""
    return session.get(OutboxMessage, message_id, with_for_update=True)


def reset_for_retry(session: Session, message_id: int, now: datetime) -> None:
    """The message waits for an attempt at ``now`` with a fresh budget, unclaimed."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            state="pending",
            attempts=0,
            next_attempt_at=now,
            locked_by=None,
            locked_until=None,
        ),
        execution_options={"synchronize_session": "fetch"},
    )


def message_by_key(session: Session, idempotency_key: str) -> OutboxMessage | None:
    """The message with this idempotency key."""
    return session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )


def counts_by_channel_and_state(session: Session) -> list[tuple[str, str, int]]:
    """How many messages there are of each (channel, state)."""
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.state, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.state
        )
    ).all()
    return [(c, st, int(n)) for c, st, n in rows]


# -- the delivery worker (``outbox.worker``) --------------------------------------------

SENDER_LEASE = "sender"
_NO_SYNC = {"synchronize_session": False}


def take_sender_lease(session: Session, worker: str, now: datetime, seconds: float) -> bool:
    """Hold the SQLite ``sender`` lease for ``seconds`` if it is free, expired or ours
    already (the row is created on first use). Whether ``worker`` holds it now."""
    res = session.execute(
        update(OutboxLease)
        .where(
            OutboxLease.name == SENDER_LEASE,
            or_(
                OutboxLease.holder == worker,
                OutboxLease.holder.is_(None),
                OutboxLease.expires_at < now,
            ),
        )
        .values(holder=worker, expires_at=now + timedelta(seconds=seconds)),
        execution_options=_NO_SYNC,
    )
    if res.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(OutboxLease, SENDER_LEASE) is None:
        session.add(OutboxLease(name=SENDER_LEASE, holder=worker, expires_at=now))
        session.flush()
        return True
    return False


def release_sender_lease(session: Session, worker: str) -> None:
    """Give the ``sender`` lease up if ``worker`` holds it."""
    session.execute(
        update(OutboxLease)
        .where(OutboxLease.name == SENDER_LEASE, OutboxLease.holder == worker)
        .values(holder=None, expires_at=None),
        execution_options=_NO_SYNC,
    )


def bury_lost_last_attempts(session: Session, expired: ColumnElement[bool]) -> None:
    """Messages matching ``expired`` (a claim whose lease ran out) with no attempt left
    are dead: their last allowed attempt was lost with its worker."""
    session.execute(
        update(OutboxMessage)
        .where(expired, OutboxMessage.attempts >= OutboxMessage.max_attempts)
        .values(
            state="dead",
            locked_by=None,
            locked_until=None,
            last_error="worker lost during the last attempt",
        ),
        execution_options=_NO_SYNC,
    )


def claim_due(
    session: Session,
    due: ColumnElement[bool],
    *,
    worker: str,
    limit: int,
    locked_until: datetime,
    skip_locked: bool,
) -> list[OutboxMessage]:
    """One UPDATE … WHERE id IN (the first ``limit`` messages matching ``due`` by their
    next attempt, ``FOR UPDATE SKIP LOCKED`` when ``skip_locked``) … RETURNING: each is
    now ``sending``, claimed by ``worker`` until ``locked_until``, one attempt more."""
    ids = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at)
    ids = ids.limit(limit)
    if skip_locked:
        ids = ids.with_for_update(skip_locked=True)
    return list(
        session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                state="sending",
                locked_by=worker,
                locked_until=locked_until,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage),
            execution_options=_NO_SYNC,
        ).all()
    )


def record_outcome(
    session: Session, message_id: int, worker: str, values: dict[str, Any], attempt: dict[str, Any]
) -> bool:
    """Set ``values`` on the message and log ``attempt`` (a row of ``outbox_attempts``
    without its message), only while ``worker``'s claim on the message stands; whether it
    did. On PostgreSQL one statement (the ``UPDATE`` in a ``WITH``, the attempt inserted
    from what it returns); on SQLite the ``UPDATE``, then the ``INSERT`` if it matched.
    Core statements on the session's connection, built once per shape of outcome: nothing
    here is in the identity map."""
    conn = session.connection()
    claimed, logged = _outcome_statements(conn.dialect.name, tuple(values), tuple(attempt))
    params = {
        "b_id": message_id,
        "b_worker": worker,
        **{f"v_{k}": v for k, v in values.items()},
        **{f"a_{k}": v for k, v in attempt.items()},
    }
    if logged is None:  # PostgreSQL: both in one
        return conn.execute(claimed, params).first() is not None
    if conn.execute(claimed, params).rowcount != 1:
        return False
    conn.execute(logged, params)
    return True


@lru_cache(maxsize=16)
def _outcome_statements(
    dialect: str, value_keys: tuple[str, ...], attempt_keys: tuple[str, ...]
) -> tuple[Any, Any]:
    """``record_outcome``'s statements for one shape of outcome (which columns it sets),
    with every value a bound parameter: ``(update, insert)``, or ``(both, None)`` on
    PostgreSQL."""
    msg, att = OutboxMessage.__table__.c, OutboxAttempt.__table__.c
    claimed = (
        update(OutboxMessage)
        .where(
            msg.id == bindparam("b_id", type_=msg.id.type),
            msg.state == "sending",
            msg.locked_by == bindparam("b_worker", type_=msg.locked_by.type),
        )
        .values({k: bindparam(f"v_{k}", type_=msg[k].type) for k in value_keys})
    )
    if dialect == "postgresql":
        done = claimed.returning(msg.id).cte("done")
        row = select(done.c.id, *(bindparam(f"a_{k}", type_=att[k].type) for k in attempt_keys))
        both = insert(OutboxAttempt).from_select(["message_id", *attempt_keys], row)
        return both.returning(att.id), None
    logged = insert(OutboxAttempt).values(
        message_id=bindparam("b_id", type_=att.message_id.type),
        **{k: bindparam(f"a_{k}", type_=att[k].type) for k in attempt_keys},
    )
    return claimed, logged


def release_claims(session: Session, message_ids: list[int], worker: str) -> None:
    """Messages ``worker`` claimed and did not try go back to ``pending``, the attempt
    not counted."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.state == "sending",
            OutboxMessage.locked_by == worker,
        )
        .values(
            state="pending",
            locked_by=None,
            locked_until=None,
            attempts=OutboxMessage.attempts - 1,
        ),
        execution_options=_NO_SYNC,
    )
