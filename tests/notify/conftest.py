"""Deliver outbox rows inside the test's transaction (the worker's own sessions are bound
to the test connection), and the Alibaba Cloud SMS sink that checks signatures."""

from __future__ import annotations

import pytest

from bancheng.outbox.worker import Deliverer


@pytest.fixture()
def deliver(db, settings):
    """``deliver(conf=None)``: run the worker until nothing is due; returns the totals."""

    def run(conf=None):
        d = Deliverer(db, conf or settings, worker_id="test-worker")
        total = {"claimed": 0, "sent": 0, "dead": 0}
        while True:
            r = d.run_once()
            for k in total:
                total[k] += getattr(r, k)
            if r.claimed == 0:
                return total

    return run
