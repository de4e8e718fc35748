"""A stand-in for the remote platform (an HTTP server that records what it receives) and
the real outbox worker, run over the test's own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bancheng.outbox.worker import Deliverer
from tests.outbox.sinks import HttpSink

SECRET = "whsec_dGVzdC1zZWNyZXQtMTIzNDU2Nzg="


class ConnectionDb:
    """What the outbox worker needs of a ``Database``, on the test's connection: each of
    its transactions is a savepoint of the test's transaction, rolled back at the end."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.is_sqlite = connection.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        s = Session(bind=self.connection, join_transaction_mode="create_savepoint")
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()


@pytest.fixture()
def remote(settings, monkeypatch) -> Iterator[HttpSink]:
    """The 12345 platform's results endpoint: records every request."""
    with HttpSink() as sink:
        monkeypatch.setattr(settings, "hotline_results_url", sink.url + "/results")
        monkeypatch.setattr(settings, "hotline_signing_secret", SECRET)
        yield sink


@pytest.fixture()
def deliver(connection, settings):
    """Run the real delivery worker once (webhook channel, local targets allowed)."""
    conf = settings.model_copy(
        update={"outbox_allow_private_targets": True, "outbox_backoff_seconds": 0}
    )
    worker = Deliverer(ConnectionDb(connection), conf, worker_id="test")  # type: ignore[arg-type]
    return worker.run_once
