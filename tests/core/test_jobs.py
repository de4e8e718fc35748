"""The job registry: every periodic job is registered once, and concurrent triggers from
two instances (two engines on one database, committing for real) have each effect once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.db import Database
from bancheng.core.jobs import JobRunRecord, registry, run_job, run_job_now
from bancheng.core.migrate import upgrade
from bancheng.hooks import register_jobs
from tests.conftest import case_payload, make_org, own_database_url, principal_of


def test_every_periodic_job_is_registered_once() -> None:
    register_jobs()
    register_jobs()  # start-up twice (app and CLI in one process) changes nothing
    assert registry.names() == [
        "feedback.reminders_and_sampling",
        "insights.daily_summary",
        "insights.nightly_rebuild",
        "insights.refresh",
        "outbox.deliver",
        "sla.sweep",
        "supervision.sweep",
    ]


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, settings: Any
) -> Iterator[tuple[Database, Database, int]]:
    """Two instances (engines) on a database of their own, with one supervise order that
    is overdue on Thursday 5 March 2026."""
    from bancheng.cases.schemas import CaseCreate
    from bancheng.cases.service import create_case
    from bancheng.supervision.schemas import OrderIn
    from bancheng.supervision.service import issue_order

    # Two real engines on a database of its own: the lock must hold across connections.
    url = own_database_url("jobs", tmp_path_factory.mktemp("jobs"), worker_id)
    upgrade(url)
    a, b = Database(url), Database(url)
    clock.set_clock(lambda: datetime(2026, 3, 2, 2, tzinfo=UTC))  # Monday 10:00 Shanghai
    try:
        with a.transaction() as s:
            org = make_org(s, settings)
            case, _ = create_case(
                s,
                settings,
                principal_of(s, org, "clerk_a"),
                CaseCreate.model_validate(case_payload()),
            )
            order = issue_order(
                s,
                principal_of(s, org, "supervisor"),
                OrderIn(
                    kind="supervise",
                    department_id=org.id("distA_comm"),
                    case_ids=[case.id],
                    title="请加快办理",
                    instructions="请于期限内书面回复办理情况。",
                    deadline_workdays=2,
                ),
            )
            order_id = order.id
    finally:
        clock.set_clock(None)
    register_jobs()
    yield a, b, order_id
    a.dispose()
    b.dispose()


def _six_at_once(work: Any) -> list[Any]:
    start = Barrier(6)

    def run(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(run, range(6)))


def test_six_sweep_triggers_across_two_instances_escalate_once(instances, settings) -> None:
    from bancheng.supervision.models import SupervisionOrder

    a, b, order_id = instances
    clock.set_clock(lambda: datetime(2026, 3, 5, 2, tzinfo=UTC))  # Thursday: overdue

    def trigger(i: int) -> int:
        db = (a, b)[i % 2]
        # Half like "POST /supervision/sweep" (forced, waits for the lock), half like the
        # scheduler threads of the workers (skip when busy or not due).
        if i < 3:
            with db.transaction() as s:
                out = run_job(s, "supervision.sweep", settings, force=True, wait=True)
        else:
            out = run_job_now(db, "supervision.sweep", settings)
        return int(out.result.get("escalated", 0)) if out.ran else 0

    escalated = _six_at_once(trigger)
    assert sum(escalated) == 1, escalated
    with a.transaction(write=False) as s:
        order = s.get(SupervisionOrder, order_id)
        assert order is not None and order.level == 1
        record = s.get(JobRunRecord, "supervision.sweep")
        assert record is not None and record.runs >= 3  # every forced trigger ran, in turn


def test_six_daily_summary_ticks_across_two_instances_send_once(
    instances, settings, monkeypatch
) -> None:
    from bancheng.insights import summary

    a, b, _ = instances
    sent: list[str] = []
    monkeypatch.setattr(summary, "send_summary", lambda _s, data: sent.append(data["date"]))
    clock.set_clock(lambda: datetime(2026, 3, 6, 1, tzinfo=UTC))  # Friday 09:00 Shanghai
    outcomes = _six_at_once(
        lambda i: run_job_now((a, b)[i % 2], "insights.daily_summary", settings)
    )
    assert sorted(o.ran for o in outcomes) == [False] * 5 + [True]
    assert sent == ["2026-03-05"]
    with a.transaction(write=False) as s:
        record = s.get(JobRunRecord, "insights.daily_summary")
        assert record is not None and (record.runs, str(record.last_day)) == (1, "2026-03-06")
    # Later the same day: not due; the next day: due again.
    clock.set_clock(lambda: datetime(2026, 3, 6, 9, tzinfo=UTC))
    assert run_job_now(b, "insights.daily_summary", settings).reason == "not_due"
    clock.set_clock(lambda: datetime(2026, 3, 7, 1, tzinfo=UTC))
    assert run_job_now(b, "insights.daily_summary", settings).ran
    assert sent == ["2026-03-05", "2026-03-06"]


def test_a_failed_run_records_nothing_and_runs_again(instances, settings, monkeypatch) -> None:
    from bancheng.insights import summary

    a, _, _ = instances

    def broken(_s: Any, _d: Any) -> bool:
        raise OSError("smtp down")

    monkeypatch.setattr(summary, "send_summary", broken)
    clock.set_clock(lambda: datetime(2026, 3, 9, 1, tzinfo=UTC))
    with a.transaction(write=False) as s:
        before = s.get(JobRunRecord, "insights.daily_summary")
        runs_before = before.runs if before else 0
    with pytest.raises(OSError):
        run_job_now(a, "insights.daily_summary", settings)
    with a.transaction(write=False) as s:
        after = s.get(JobRunRecord, "insights.daily_summary")
        assert (after.runs if after else 0) == runs_before
        assert after is None or str(after.last_day) != "2026-03-09"


def test_postgresql_skips_a_tick_that_another_process_runs(instances, settings) -> None:
    a, b, _ = instances
    if a.dialect != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite queues writers")
    job = registry.get("sla.sweep")
    with a.write_engine.connect() as holder:
        holder.execute(select(func.pg_advisory_xact_lock(job.lock_key)))
        with Session(b.write_engine) as other:
            out = run_job(other, job, settings, force=True)
            assert (out.ran, out.reason) == (False, "busy")
            other.rollback()
        holder.rollback()
    with Session(b.write_engine) as s:
        assert run_job(s, job, settings, force=True).ran
        s.rollback()


# --- the outbox's delivery job: claim-based, run by every scheduler at once -------------


@pytest.fixture()
def outbox_rows(instances) -> Iterator[Any]:
    from sqlalchemy import delete

    from bancheng.outbox.channels import register_channel
    from bancheng.outbox.models import OutboxAttempt, OutboxLease, OutboxMessage
    from tests.outbox.conftest import Recorder

    a, b, _ = instances

    def clean() -> None:
        with a.transaction() as s:
            s.execute(delete(OutboxAttempt))
            s.execute(delete(OutboxMessage))
            s.execute(delete(OutboxLease))
            s.execute(delete(JobRunRecord).where(JobRunRecord.name == "outbox.deliver"))

    clean()
    rec = Recorder()
    register_channel("test", lambda _s: rec)
    yield rec
    from bancheng.outbox import jobs as outbox_jobs

    outbox_jobs._release(a)
    outbox_jobs._release(b)
    clean()


def _enqueue(db: Database, keys: list[str]) -> None:
    from bancheng.outbox.service import enqueue

    with db.transaction() as s:
        for k in keys:
            enqueue(s, channel="test", kind="test.job", idempotency_key=k)


def test_the_delivery_job_delivers_a_committed_message(instances, settings, outbox_rows) -> None:
    from bancheng.outbox.models import OutboxMessage

    a, _, _ = instances
    job = registry.get("outbox.deliver")
    assert job.concurrent and job.lane == "outbox"
    assert job.interval(settings) == settings.outbox_poll_seconds
    _enqueue(a, ["job-one"])
    out = run_job_now(a, "outbox.deliver", settings)
    assert out.ran and (out.result["claimed"], out.result["sent"]) == (1, 1)
    assert outbox_rows.keys() == ["job-one"]
    with a.transaction(write=False) as s:
        assert s.scalar(select(OutboxMessage.state)) == "sent"
        record = s.get(JobRunRecord, "outbox.deliver")
        assert record is not None and record.runs == 1
        assert '"sent": 1' in (record.last_result or "")
    # Nothing due: the next tick claims nothing, and the run-once lock is never taken.
    assert run_job_now(a, "outbox.deliver", settings).result["claimed"] == 0
    with pytest.raises(TypeError), a.transaction() as s:
        run_job(s, "outbox.deliver", settings)


def test_six_delivery_triggers_across_two_instances_send_each_message_once(
    instances, settings, outbox_rows
) -> None:
    """Six schedulers' ticks at once, from two instances (engines), each with its own
    worker: on PostgreSQL they share the rows (SKIP LOCKED), on SQLite one holds the
    sender lease; every message goes exactly once."""
    from bancheng.outbox.models import OutboxAttempt, OutboxMessage

    a, b, _ = instances
    keys = [f"job-{i:03d}" for i in range(120)]
    _enqueue(a, keys)
    outbox_rows.delay = 0.002
    conf = settings.model_copy(update={"outbox_batch_size": 10})
    outcomes = _six_at_once(lambda i: run_job_now((a, b)[i % 2], "outbox.deliver", conf))
    assert all(o.ran for o in outcomes)
    # A trigger that came last may have found nothing; whatever is left goes on a tick.
    while run_job_now(b, "outbox.deliver", conf).result["claimed"]:
        pass
    sent = outbox_rows.keys()
    assert sorted(sent) == keys, f"{len(sent)} sends for {len(keys)} messages"
    assert sum(o.result["sent"] for o in outcomes) <= len(keys)
    with a.transaction(write=False) as s:
        states = dict(
            s.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
        )
        assert states == {"sent": len(keys)}
        assert s.scalar(select(func.count()).select_from(OutboxAttempt)) == len(keys)
        workers = set(s.scalars(select(OutboxAttempt.worker)))
    if a.dialect == "postgresql":
        assert len(workers) == 2, workers  # both instances delivered, at the same time


def test_a_burst_of_commits_is_delivered_by_one_claim(instances, settings, outbox_rows):
    """Commits that enqueue within ``nudge_delay_seconds`` of the first are claimed and
    delivered together: one delivery run records them all."""
    import time

    from bancheng.core.jobs import JobRegistry, JobScheduler
    from bancheng.outbox import jobs as outbox_jobs

    a, _, _ = instances
    jobs = JobRegistry()
    outbox_jobs.register(jobs)
    conf = settings.model_copy(update={"outbox_poll_seconds": 600.0, "nudge_delay_seconds": 3.0})
    scheduler = JobScheduler(a, conf, jobs, lanes={"outbox"})
    scheduler.start()
    try:
        time.sleep(0.3)  # the first tick has run (nothing to claim); the next is in 600 s
        started = time.monotonic()
        for i in range(5):
            _enqueue(a, [f"burst-{i}"])  # five commits, each nudging delivery
        assert time.monotonic() - started < 3.0, "the commits took longer than the delay"
        assert outbox_rows.keys() == []  # nothing sent before the delay is up
        deadline = time.monotonic() + 15
        while len(outbox_rows.keys()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert sorted(outbox_rows.keys()) == [f"burst-{i}" for i in range(5)]
    with a.transaction() as s:
        row = s.get(JobRunRecord, "outbox.deliver")
        assert row is not None and row.runs == 1
        assert json.loads(row.last_result)["claimed"] == 5


def test_the_scheduler_runs_delivery_in_a_lane_of_its_own(instances, settings, outbox_rows):
    """A run-once job that takes long does not hold delivery up, and a commit that
    enqueued something brings the delivery tick forward."""
    import threading
    import time

    from bancheng.core.jobs import Job, JobRegistry, JobScheduler
    from bancheng.outbox import jobs as outbox_jobs

    a, _, _ = instances
    jobs = JobRegistry()
    outbox_jobs.register(jobs)
    release = threading.Event()
    # Once only (a long interval): on SQLite its transaction holds the write lock while it
    # waits, and a second run straight after would shut delivery out for another 20 s.
    jobs.register(
        Job("slow.job", lambda _ctx: {"done": release.wait(20)}, lambda _s: 600.0, "slow")
    )
    conf = settings.model_copy(update={"outbox_poll_seconds": 600.0})
    scheduler = JobScheduler(a, conf, jobs, lanes={"jobs", "outbox"})
    scheduler.start()
    try:
        time.sleep(0.3)  # both lanes have ticked: delivery waits 600 s, slow.job runs
        _enqueue(a, ["job-nudged"])  # the commit nudges outbox.deliver
        deadline = time.monotonic() + 10
        while not outbox_rows.keys() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outbox_rows.keys() == ["job-nudged"]
    finally:
        release.set()
        scheduler.stop()
    assert [t.name for t in scheduler._threads] == ["bancheng-jobs", "bancheng-outbox"]
    assert not any(t.is_alive() for t in scheduler._threads)
