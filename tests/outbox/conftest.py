"""Committed outbox rows (the worker runs its own transactions), removed after each test;
a recording channel."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete

from bancheng.outbox.channels import Delivered, DeliveryError, Outgoing, register_channel
from bancheng.outbox.models import OutboxAttempt, OutboxLease, OutboxMessage


class Recorder:
    """A channel that records what it is asked to send; ``fail`` decides per message."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.lock = threading.Lock()
        self.fail: Any = None  # callable(msg) -> DeliveryError | None
        self.delay = 0.0

    def send(self, msg: Outgoing) -> Delivered:
        if self.delay:
            time.sleep(self.delay)
        err = self.fail(msg) if self.fail else None
        with self.lock:
            self.sent.append(msg)
        if err is not None:
            raise err
        return Delivered(ref=f"rec:{msg.id}", status="250")

    def keys(self) -> list[str]:
        return [m.idempotency_key for m in self.sent]


@pytest.fixture()
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    register_channel("test", lambda _s: rec)
    yield rec


def _clean(database: Any) -> None:
    with database.transaction() as s:
        s.execute(delete(OutboxAttempt))
        s.execute(delete(OutboxMessage))
        s.execute(delete(OutboxLease))


@pytest.fixture()
def committed(database: Any) -> Iterator[Any]:
    _clean(database)
    yield database
    _clean(database)


__all__ = ["DeliveryError", "Recorder"]
