"""The delivery worker: claims due messages, sends each through its channel, records the
outcome. Runs inside ``serve`` as the claim-based job ``outbox.deliver`` of the job
registry (``outbox.jobs``: the scheduler's ``outbox`` lane ticks it every
``outbox_poll_seconds``, and at once after a commit that enqueued something) and as
``bancheng outbox run`` (a process of its own, same ``Deliverer.drain``).

Claiming is one short transaction: ``UPDATE ... SET state='sending', locked_by=me,
locked_until=now+lease, attempts=attempts+1 WHERE id IN (SELECT ... FOR UPDATE SKIP
LOCKED LIMIT n) RETURNING ...``. On PostgreSQL concurrent workers skip each other's rows;
on SQLite one process at a time holds the ``sender`` lease and claims under the write
lock. Sending happens outside any transaction (no lock is held across the network), and
each outcome is written at once, only while the claim is still ours. A worker that dies
mid-send leaves rows in ``sending``; their lease runs out and another worker takes them:
delivery is at least once, and the idempotency key (Message-ID, webhook-id, OutId) lets
the receiver drop the rare redelivery.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.crypto import get_crypto
from bancheng.core.db import Database
from bancheng.core.observability import OUTBOX_DELIVERIES
from bancheng.outbox import channels as _channels
from bancheng.outbox import repository
from bancheng.outbox.channels import (
    Channel,
    ChannelFactory,
    Delivered,
    DeliveryError,
    Outgoing,
    build_channel,
    factory_of,
)
from bancheng.outbox.models import OutboxMessage
from bancheng.outbox.service import secrets_of, wakeup

log = logging.getLogger("bancheng.outbox")
# The SQLite sender lease only keeps a second process from claiming; each claimed row has
# its own lease (outbox_lease_seconds), which is what keeps two workers off one message.
SENDER_LEASE_SECONDS = 30.0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base × 2^(attempts−1), capped."""
    seconds = settings.outbox_backoff_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.outbox_backoff_max_seconds))


@dataclass
class RunResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0  # our claim expired and another worker took the row meanwhile
    errors: list[str] = field(default_factory=list)

    def add(self, other: RunResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.lost += other.lost
        self.errors.extend(other.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "lost": self.lost,
        }


def release_sender_lease(db: Database, worker: str) -> None:
    if not db.is_sqlite:
        return
    with db.transaction() as s:
        repository.release_sender_lease(s, worker)


def claim(
    session: Session, settings: Settings, worker: str, limit: int, now: datetime | None = None
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for ``worker`` (one transaction: the caller's)."""
    now = now or clock.now()
    is_pg = session.get_bind().dialect.name == "postgresql"
    if not is_pg and not repository.take_sender_lease(session, worker, now, SENDER_LEASE_SECONDS):
        return []
    expired = and_(OutboxMessage.state == "sending", OutboxMessage.locked_until < now)
    # A message whose last allowed attempt was lost with its worker is not sent again.
    repository.bury_lost_last_attempts(session, expired)
    due = or_(
        and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
        expired,
    )
    rows = repository.claim_due(
        session,
        due,
        worker=worker,
        limit=limit,
        locked_until=now + timedelta(seconds=settings.outbox_lease_seconds),
        skip_locked=is_pg,
    )
    return sorted(rows, key=lambda m: m.id)


def _outgoing(msg: OutboxMessage) -> Outgoing:
    recipient = msg.recipient
    if msg.recipient_enc:
        recipient = get_crypto().decrypt(msg.recipient_enc)
    return Outgoing(
        id=msg.id,
        channel=msg.channel,
        kind=msg.kind,
        idempotency_key=msg.idempotency_key,
        recipient=recipient,
        recipient_masked=msg.recipient_masked,
        subject=msg.subject,
        payload=dict(msg.payload or {}),
        secrets=secrets_of(msg),
        attempt=msg.attempts,
    )


def record(
    session: Session,
    settings: Settings,
    msg: OutboxMessage,
    worker: str,
    ok: Delivered | None,
    err: DeliveryError | None,
    duration_ms: int,
    now: datetime | None = None,
) -> str:
    """Write one outcome, only if the claim is still ours. Returns the new state, or
    ``lost``."""
    now = now or clock.now()
    values: dict[str, Any] = {"locked_by": None, "locked_until": None}
    if ok is not None:
        values.update(state="sent", sent_at=now, provider_ref=ok.ref, last_error=None)
    else:
        assert err is not None
        values["last_error"] = str(err)[:2000]
        if err.permanent or msg.attempts >= msg.max_attempts:
            values["state"] = "dead"
        else:
            values.update(state="pending", next_attempt_at=now + backoff(settings, msg.attempts))
    attempt = {
        "at": now,
        "worker": worker,
        "ok": ok is not None,
        "status": ok.status if ok else err.status if err else None,
        "error": None if ok else str(err)[:2000],
        "duration_ms": duration_ms,
    }
    if not repository.record_outcome(session, msg.id, worker, values, attempt):
        return "lost"
    return str(values["state"])


class Deliverer:
    """One worker's state: its id and its channel adapters (built once, reused)."""

    def __init__(self, db: Database, settings: Settings | None = None, worker_id: str = ""):
        self.db = db
        self.settings = settings or get_settings()
        self.worker = worker_id or new_worker_id()
        self._adapters: dict[str, tuple[ChannelFactory | None, Channel]] = {}

    def adapter(self, name: str) -> Channel:
        """The adapter of channel ``name``, built once; rebuilt when the channel has been
        registered again since (a long-lived worker follows a re-registration)."""
        factory = factory_of(name)
        built = self._adapters.get(name)
        if built is None or built[0] is not factory:
            built = (factory, build_channel(name, self.settings))
            self._adapters[name] = built
        return built[1]

    def run_once(self, limit: int | None = None) -> RunResult:
        """Claim one batch and deliver it. Safe to run from any number of workers."""
        result = RunResult()
        with self.db.transaction() as s:
            batch = claim(s, self.settings, self.worker, limit or self.settings.outbox_batch_size)
            s.expunge_all()
        result.claimed = len(batch)
        # Stop sending under a claim this long before its lease ends (a short lease keeps
        # most of itself: with a fixed 5 s, a 5 s lease would send nothing).
        margin = timedelta(seconds=min(5.0, self.settings.outbox_lease_seconds / 4))
        for i, msg in enumerate(batch):
            if msg.locked_until is not None and clock.now() >= msg.locked_until - margin:
                # Too late to send under this claim: hand the rest back untouched.
                self._release(batch[i:])
                result.lost += len(batch) - i
                break
            started = time.monotonic()
            ok: Delivered | None = None
            err: DeliveryError | None = None
            try:
                ok = self.adapter(msg.channel).send(_outgoing(msg))
            except DeliveryError as exc:
                err = exc
            except Exception as exc:  # an adapter's bug must not stop the others
                log.exception("outbox channel %s failed on message %s", msg.channel, msg.id)
                err = DeliveryError(f"{type(exc).__name__}: {exc}")
            ms = int((time.monotonic() - started) * 1000)
            with self.db.transaction() as s:
                state = record(s, self.settings, msg, self.worker, ok, err, ms)
            OUTBOX_DELIVERIES.labels(msg.channel, state).inc()
            if state == "sent":
                result.sent += 1
            elif state == "pending":
                result.retried += 1
            elif state == "dead":
                result.dead += 1
                log.warning("outbox message %s (%s) is dead: %s", msg.id, msg.kind, err)
            else:
                result.lost += 1
        return result

    def _release(self, msgs: list[OutboxMessage]) -> None:
        with self.db.transaction() as s:
            repository.release_claims(s, [m.id for m in msgs], self.worker)

    def drain(self, stop: threading.Event | None = None, budget: float = 30.0) -> RunResult:
        """Claim and deliver batch after batch while full batches come (a backlog), for at
        most ``budget`` seconds or until ``stop`` is set; one tick of ``outbox.deliver``."""
        total = RunResult()
        started = time.monotonic()
        while True:
            r = self.run_once()
            total.add(r)
            if r.claimed < self.settings.outbox_batch_size:
                return total
            if (stop is not None and stop.is_set()) or time.monotonic() - started > budget:
                return total

    def run(self, stop: threading.Event, poll: float | None = None) -> None:
        """``bancheng outbox run``: drain until ``stop`` is set, then wait for the poll
        interval (or a commit in this process that enqueued something)."""
        poll = poll if poll is not None else self.settings.outbox_poll_seconds
        try:
            while not stop.is_set():
                try:
                    self.drain(stop)
                except Exception:
                    log.exception("outbox delivery failed")
                if stop.is_set():
                    break
                wakeup.wait(poll)
                wakeup.clear()
        finally:
            self.close()

    def close(self) -> None:
        """Give up the SQLite sender lease (another process may send at once)."""
        try:
            release_sender_lease(self.db, self.worker)
        except Exception:
            log.exception("could not release the outbox sender lease")


_ = _channels  # the log channel registers itself on import
