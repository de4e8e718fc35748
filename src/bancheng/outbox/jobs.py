"""The outbox's periodic job: ``outbox.deliver``, the delivery worker inside ``serve``.

It is claim-based (``Job(concurrent=True)``): every scheduler of every worker process of
every instance ticks it, and the rows themselves divide the work — on PostgreSQL each
claim takes due rows with ``FOR UPDATE SKIP LOCKED`` and a lease, so several processes
deliver at once without sending a row twice; on SQLite the ``sender`` lease lets one
process claim at a time. The registry's run-once lock is not taken: it would hold one
transaction (on SQLite the write lock) across the network sends and cut delivery to one
process. The job runs in the scheduler's ``outbox`` lane, a thread of its own, so that a
long job (the nightly rebuild) never holds delivery up; ``BANCHENG_OUTBOX_WORKER_IN_SERVE``
decides whether ``serve`` runs that lane at all.
"""

from __future__ import annotations

import threading
from typing import Any

from bancheng.core.config import Settings
from bancheng.core.db import Database
from bancheng.core.jobs import JobContext, JobRegistry, interval_job
from bancheng.outbox.service import DELIVER_JOB
from bancheng.outbox.worker import Deliverer, new_worker_id

DELIVER = DELIVER_JOB
LANE = "outbox"

# One worker identity per database in this process: the SQLite sender lease is held by
# it from tick to tick, and the channel adapters (SMTP connections) are reused.
_deliverers: dict[int, Deliverer] = {}
_lock = threading.Lock()


def deliverer_for(db: Database, settings: Settings) -> Deliverer:
    with _lock:
        d = _deliverers.get(id(db))
        if d is None or d.db is not db:
            d = _deliverers[id(db)] = Deliverer(db, settings, new_worker_id())
        elif d.settings is not settings:
            d = _deliverers[id(db)] = Deliverer(db, settings, d.worker)
        return d


def _deliver(ctx: JobContext) -> dict[str, Any]:
    assert ctx.db is not None, "outbox.deliver runs with run_job_now (it needs ctx.db)"
    r = deliverer_for(ctx.db, ctx.settings).drain(ctx.stop)
    return r.as_dict()


def _release(db: Database) -> None:
    with _lock:
        d = _deliverers.pop(id(db), None)
    if d is not None and d.db is db:
        d.close()


def register(jobs: JobRegistry) -> None:
    jobs.register(
        interval_job(
            DELIVER,
            _deliver,
            lambda s: s.outbox_poll_seconds,
            "投递待发消息：短信、邮件、Webhook（按行认领，可多进程同时运行）",
            concurrent=True,
            lane=LANE,
            on_stop=_release,
        )
    )
