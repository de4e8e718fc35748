"""The outbox: same-transaction writes, idempotency keys, retries with backoff, dead
letters, leases, and two workers that never send one message twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bancheng.core import clock
from bancheng.outbox import service
from bancheng.outbox.channels import Delivered, DeliveryError
from bancheng.outbox.models import OutboxAttempt, OutboxMessage
from bancheng.outbox.worker import Deliverer, backoff, claim, record

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _put(s, key: str, **kw):
    return service.enqueue(
        s, channel=kw.pop("channel", "test"), kind="test.kind", idempotency_key=key, **kw
    )


def _count(database) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_rolled_back_change_sends_nothing(committed, recorder):
    with pytest.raises(RuntimeError), committed.transaction() as s:
        _put(s, "k-rollback")
        raise RuntimeError("the change fails after the message was written")
    assert _count(committed) == 0
    assert Deliverer(committed).run_once().claimed == 0
    assert recorder.sent == []


def test_committed_message_is_sent_once_with_its_key(committed, recorder):
    with committed.transaction() as s:
        first = _put(s, "k-1", recipient_secret="13812345678", recipient_masked="138****5678")
        again = _put(s, "k-1")  # a retried request: nothing new
        assert first is not None and again is None
        assert first.recipient_enc and "13812345678" not in first.recipient_enc
    d = Deliverer(committed, worker_id="w1")
    r = d.run_once()
    assert r.as_dict() == {"claimed": 1, "sent": 1, "retried": 0, "dead": 0, "lost": 0}
    assert [(m.idempotency_key, m.recipient, m.attempt) for m in recorder.sent] == [
        ("k-1", "13812345678", 1)
    ]
    assert d.run_once().claimed == 0
    with committed.transaction(write=False) as s:
        msg = s.scalar(select(OutboxMessage))
        assert (msg.state, msg.attempts, msg.provider_ref, msg.locked_by) == (
            "sent",
            1,
            f"rec:{msg.id}",
            None,
        )
        att = s.scalars(select(OutboxAttempt)).all()
        assert [(a.worker, a.ok, a.status) for a in att] == [("w1", True, "250")]


def test_backoff_doubles_and_is_capped(settings):
    s = settings.model_copy(
        update={"outbox_backoff_seconds": 30, "outbox_backoff_max_seconds": 200}
    )
    assert [backoff(s, n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_retries_then_dead_letter_then_manual_retry(committed, recorder, settings):
    now = [T0]
    clock.set_clock(lambda: now[0])
    conf = settings.model_copy(
        update={"outbox_backoff_seconds": 10, "outbox_backoff_max_seconds": 1000}
    )
    recorder.fail = lambda m: DeliveryError("421 try later", status="421")
    with committed.transaction() as s:
        _put(s, "k-retry", max_attempts=3)
    d = Deliverer(committed, conf, worker_id="w1")
    assert d.run_once().retried == 1
    assert d.run_once().claimed == 0  # not due before its backoff
    now[0] = T0 + timedelta(seconds=10)
    assert d.run_once().retried == 1
    now[0] = T0 + timedelta(seconds=10 + 19)
    assert d.run_once().claimed == 0
    now[0] = T0 + timedelta(seconds=10 + 20)
    assert d.run_once().dead == 1
    now[0] = T0 + timedelta(days=1)
    assert d.run_once().claimed == 0
    with committed.transaction(write=False) as s:
        msg = s.scalar(select(OutboxMessage))
        assert (msg.state, msg.attempts, msg.last_error) == ("dead", 3, "421 try later")
        times = s.scalars(select(OutboxAttempt.at).order_by(OutboxAttempt.id)).all()
        assert [t - T0 for t in times] == [
            timedelta(0),
            timedelta(seconds=10),
            timedelta(seconds=30),
        ]
    recorder.fail = None
    with committed.transaction() as s:
        service.retry(s, msg.id)
    assert d.run_once().sent == 1
    assert len(recorder.sent) == 4


def test_permanent_refusal_is_dead_at_once(committed, recorder):
    recorder.fail = lambda m: DeliveryError("isv.MOBILE_NUMBER_ILLEGAL", permanent=True)
    with committed.transaction() as s:
        _put(s, "k-perm")
    assert Deliverer(committed).run_once().dead == 1
    with committed.transaction() as s, pytest.raises(Exception) as exc:
        msg = s.scalar(select(OutboxMessage))
        assert msg.attempts == 1
        service.retry(s, msg.id)
        service.retry(s, msg.id)  # pending now: still retryable (moves it up)
        msg.state = "sent"
        s.flush()
        service.retry(s, msg.id)
    assert getattr(exc.value, "code", None) == "outbox.not_retryable"


def test_a_dead_workers_claim_is_taken_over_after_its_lease(committed, recorder, settings):
    now = [T0]
    clock.set_clock(lambda: now[0])
    with committed.transaction() as s:
        _put(s, "k-lease")
    with committed.transaction() as s:
        taken = claim(s, settings, "crashed-worker", 10)
        assert [m.idempotency_key for m in taken] == ["k-lease"]
    d = Deliverer(committed, worker_id="w2")
    assert d.run_once().claimed == 0  # still leased
    now[0] = T0 + timedelta(seconds=settings.outbox_lease_seconds + 1)
    r = d.run_once()
    assert (r.claimed, r.sent) == (1, 1)
    assert [m.attempt for m in recorder.sent] == [2]


def test_an_outcome_after_the_claim_was_taken_over_is_not_written(committed, settings):
    now = [T0]
    clock.set_clock(lambda: now[0])
    with committed.transaction() as s:
        _put(s, "k-slow")
    with committed.transaction() as s:
        (slow,) = claim(s, settings, "slow-worker", 10)
        s.expunge_all()
    now[0] = T0 + timedelta(seconds=settings.outbox_lease_seconds + 1)
    with committed.transaction() as s:
        (taken,) = claim(s, settings, "w2", 10)
        assert (taken.id, taken.attempts) == (slow.id, 2)
    late = T0 + timedelta(seconds=settings.outbox_lease_seconds + 2)
    with committed.transaction() as s:  # the slow worker's send finally returns
        assert record(
            s, settings, slow, "slow-worker", Delivered("ref-1", "250"), None, 7, late
        ) == ("lost")
    with committed.transaction() as s:
        state = record(s, settings, taken, "w2", None, DeliveryError("HTTP 503", "503"), 9, late)
        assert state == "pending"
    with committed.transaction(write=False) as s:
        msg = s.scalar(select(OutboxMessage))
        assert (msg.state, msg.attempts, msg.locked_by, msg.provider_ref, msg.last_error) == (
            "pending",
            2,
            None,
            None,
            "HTTP 503",
        )
        assert msg.next_attempt_at == late + backoff(settings, 2)
        rows = s.scalars(select(OutboxAttempt)).all()
        assert [(a.worker, a.ok, a.status, a.error, a.duration_ms, a.at) for a in rows] == [
            ("w2", False, "503", "HTTP 503", 9, late)
        ]


def test_two_workers_never_send_one_message_twice(committed, recorder, settings):
    n = 300
    with committed.transaction() as s:
        for i in range(n):
            _put(s, f"k-{i:04d}")
    recorder.delay = 0.001
    conf = settings.model_copy(update={"outbox_batch_size": 20})
    stop = threading.Event()
    workers = [Deliverer(committed, conf, worker_id=f"w{i}") for i in (1, 2)]

    def drain(d: Deliverer) -> None:
        while d.run_once().claimed:
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    keys = recorder.keys()
    assert len(keys) == n
    assert sorted(set(keys)) == sorted(f"k-{i:04d}" for i in range(n))
    with committed.transaction(write=False) as s:
        states = dict(
            s.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
        )
        assert states == {"sent": n}
        assert s.scalar(select(func.count()).select_from(OutboxAttempt)) == n
