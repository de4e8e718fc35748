"""A stand-in for the remote platform (an HTTP server that records what it receives) and
the real outbox worker, run over the test's own transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bancheng.outbox.worker import Deliverer
from tests.outbox.sinks import HttpSink

SECRET = "whsec_dGVzdC1zZWNyZXQtMTIzNDU2Nzg="


@pytest.fixture()
def remote(settings, monkeypatch) -> Iterator[HttpSink]:
    """The 12345 platform's results endpoint: records every request."""
    with HttpSink() as sink:
        monkeypatch.setattr(settings, "hotline_results_url", sink.url + "/results")
        monkeypatch.setattr(settings, "hotline_signing_secret", SECRET)
        yield sink


@pytest.fixture()
def deliver(db, settings):
    """Run the real delivery worker once (webhook channel, local targets allowed)."""
    conf = settings.model_copy(
        update={"outbox_allow_private_targets": True, "outbox_backoff_seconds": 0}
    )
    worker = Deliverer(db, conf, worker_id="test")
    return worker.run_once
