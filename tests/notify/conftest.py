"""Deliver outbox rows inside the test's transaction (the worker's own sessions are bound
to the test connection), and the Alibaba Cloud SMS sink that checks signatures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bancheng.outbox.worker import Deliverer


class ConnDB:
    """What the worker needs of a Database, on the test's connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.is_sqlite = connection.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        s = Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()


@pytest.fixture()
def deliver(connection, settings):
    """``deliver(conf=None)``: run the worker until nothing is due; returns the totals."""

    def run(conf=None):
        d = Deliverer(ConnDB(connection), conf or settings, worker_id="test-worker")
        total = {"claimed": 0, "sent": 0, "dead": 0}
        while True:
            r = d.run_once()
            for k in total:
                total[k] += getattr(r, k)
            if r.claimed == 0:
                return total

    return run
