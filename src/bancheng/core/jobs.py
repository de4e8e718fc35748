"""Periodic jobs: one registry, one runner, one lock.

Every periodic job (the SLA sweep, supervision escalation, feedback reminders and
sampling, the insights refresh, the nightly rebuild, the daily summary e-mail, ...) is a
``Job`` registered in ``registry`` at start-up (``bancheng.hooks.register_jobs``). Whoever
runs a tick — the scheduler thread of any worker of any instance, an HTTP "sweep now"
endpoint, the CLI — goes through ``run_job``, which runs it once across all of them:

- PostgreSQL: a transaction-level advisory lock keyed by the job's name (try-lock for the
  scheduler, which skips a tick that another process is running; a waiting lock for HTTP
  and the CLI, which then see what is left to do);
- both databases: the job's row in ``job_runs``, locked and updated in the job's own
  transaction. On SQLite the job's write transaction (``BEGIN IMMEDIATE``) holds the
  database's write lock, so runs queue; the row records when the job last ran, so an
  interval job runs once per interval whatever the number of schedulers, and a daily job
  once per local day (``last_day``): the summary e-mail goes once.

The job's effects and its ``job_runs`` row commit together, or neither does.

A *claim-based* job (``concurrent=True``, the outbox's ``outbox.deliver``) is the
exception: its work is divided among its runners row by row (``FOR UPDATE SKIP LOCKED``
claims with a lease), so any number of processes may run it at once and it takes neither
lock. It runs its own short transactions through ``ctx.db`` — the run-once lock would
otherwise hold a transaction (and on SQLite the write lock) open across network sends and
cut delivery to one sender — and its ``job_runs`` row is updated afterwards, in a
transaction of its own, as a record only. Each scheduler offers it its tick at its
interval; ``nudge`` brings a tick forward (a commit that enqueued a message).

The scheduler runs each *lane* of jobs in a thread of its own, so that a long job (the
nightly rebuild) never holds up delivery.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, String, Text, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.db import Base, Database
from bancheng.core.observability import job_timer
from bancheng.core.types import UTCDateTime

log = logging.getLogger("bancheng.jobs")


class JobRunRecord(Base):
    """The lock row and the record of a job's last run."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_day: Mapped[date | None] = mapped_column(Date, nullable=True)  # daily jobs, local
    last_result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON


@dataclass
class JobContext:
    session: Session
    settings: Settings
    now: datetime
    # The database, for a read transaction of the job's own (counting without holding
    # SQLite's write lock); None when the job runs inside someone else's session.
    db: Database | None = None
    # Set when the scheduler is stopping: a long or looping job stops at its next step.
    stop: threading.Event | None = None


@dataclass(frozen=True)
class Job:
    """``run`` does one tick inside the job's transaction and returns figures (JSON).

    Interval jobs run every ``interval(settings)`` seconds (0 or less: not scheduled, still
    runnable by hand); daily jobs (``daily_after_hour`` set) once per local day, at the
    first tick after that hour.

    ``concurrent``: a claim-based job that divides its work itself and may run in several
    processes at once (no run-once lock; ``ctx.session`` is an idle session, the job uses
    ``ctx.db``). ``lane``: the scheduler thread that offers it its ticks. ``on_stop``: called
    with the database when the scheduler stops (release a lease)."""

    name: str
    run: Callable[[JobContext], dict[str, Any] | None]
    interval: Callable[[Settings], float]
    description: str
    daily_after_hour: int | None = None
    concurrent: bool = False
    lane: str = "jobs"
    on_stop: Callable[[Database], None] | None = None

    @property
    def lock_key(self) -> int:
        digest = hashlib.sha256(f"bancheng.job:{self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def interval_job(
    name: str,
    run: Callable[[JobContext], dict[str, Any] | None],
    seconds: Callable[[Settings], float],
    description: str,
    *,
    concurrent: bool = False,
    lane: str = "jobs",
    on_stop: Callable[[Database], None] | None = None,
) -> Job:
    """A job run every ``seconds(settings)`` seconds (the options as for ``Job``)."""
    return Job(
        name=name,
        run=run,
        interval=lambda settings: float(seconds(settings)),
        description=description,
        concurrent=concurrent,
        lane=lane,
        on_stop=on_stop,
    )


def sweep_job(
    name: str, run: Callable[[JobContext], dict[str, Any] | None], description: str
) -> Job:
    """An interval job at the cadence of the deadline-driven sweeps (SLA, supervision,
    feedback): every ``sla_sweep_interval_seconds``."""
    return interval_job(name, run, lambda s: s.sla_sweep_interval_seconds, description)


def _not_on_interval(_settings: Settings) -> float:
    return 0.0


def daily_job(
    name: str, run: Callable[[JobContext], dict[str, Any] | None], hour: int, description: str
) -> Job:
    """A job run once per local day, at the first tick after ``hour`` (no interval)."""
    return Job(
        name=name,
        run=run,
        interval=_not_on_interval,
        daily_after_hour=hour,
        description=description,
    )


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def register(self, *jobs: Job) -> None:
        for job in jobs:
            existing = self._jobs.get(job.name)
            if existing is not None and existing.run is not job.run:
                raise ValueError(f"two different jobs are registered as {job.name!r}")
            self._jobs[job.name] = job

    def get(self, name: str) -> Job:
        try:
            return self._jobs[name]
        except KeyError:
            raise KeyError(f"no job {name!r}; registered: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter([self._jobs[n] for n in self.names()])

    def __len__(self) -> int:
        return len(self._jobs)


registry = JobRegistry()


@dataclass
class JobOutcome:
    name: str
    ran: bool
    reason: str = ""  # why not: busy (another process runs it), not_due
    result: dict[str, Any] = field(default_factory=dict)


def _lock_row(session: Session, name: str) -> JobRunRecord:
    mod: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(mod.insert(JobRunRecord).values(name=name, runs=0).on_conflict_do_nothing())
    row = session.scalar(select(JobRunRecord).where(JobRunRecord.name == name).with_for_update())
    assert row is not None
    session.refresh(row)
    return row


def run_job(
    session: Session,
    job: Job | str,
    settings: Settings,
    *,
    now: datetime | None = None,
    force: bool = False,
    wait: bool = False,
    db: Database | None = None,
) -> JobOutcome:
    """One tick of ``job`` in ``session``'s transaction (the caller commits), once across
    processes. ``force``: run even when not due (HTTP, CLI); ``wait``: wait for another
    process's run to finish instead of skipping (then run on what is left)."""
    if isinstance(job, str):
        job = registry.get(job)
    if job.concurrent:
        raise TypeError(f"{job.name} divides its work itself: run it with run_job_now")
    now = now or clock.now()
    if session.get_bind().dialect.name == "postgresql":
        if wait:
            session.execute(select(func.pg_advisory_xact_lock(job.lock_key)))
        elif not session.execute(select(func.pg_try_advisory_xact_lock(job.lock_key))).scalar():
            return JobOutcome(job.name, ran=False, reason="busy")
    row = _lock_row(session, job.name)
    today = clock.to_local(now).date()
    if not force:
        if job.daily_after_hour is not None:
            if clock.to_local(now).hour < job.daily_after_hour or row.last_day == today:
                return JobOutcome(job.name, ran=False, reason="not_due")
        else:
            interval = job.interval(settings)
            # A little slack, so that schedulers whose clocks tick together do not skip a
            # whole interval by a few milliseconds.
            slack = min(1.0, interval / 10)
            if row.last_started_at is not None and row.last_started_at > now - timedelta(
                seconds=interval - slack
            ):
                return JobOutcome(job.name, ran=False, reason="not_due")
    result = job.run(JobContext(session, settings, now, db)) or {}
    row.runs += 1
    row.last_started_at = now
    row.last_finished_at = clock.now()
    if job.daily_after_hour is not None:
        row.last_day = today
    row.last_result = json.dumps(result, ensure_ascii=False, default=str)
    session.flush()
    return JobOutcome(job.name, ran=True, result=result)


def run_job_now(
    db: Database,
    job: Job | str,
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    **kw: Any,
) -> JobOutcome:
    """``run_job`` in a transaction of its own (the scheduler, the CLI). A claim-based job
    runs here at once, without the lock, and is recorded after its run."""
    if isinstance(job, str):
        job = registry.get(job)
    if job.concurrent:
        return _run_claiming(db, job, settings, kw.get("now"), stop)
    with db.transaction() as session:
        return run_job(session, job, settings, db=db, **kw)


def _run_claiming(
    db: Database,
    job: Job,
    settings: Settings,
    now: datetime | None,
    stop: threading.Event | None,
) -> JobOutcome:
    now = now or clock.now()
    idle = db.session(write=False)
    try:
        result = job.run(JobContext(idle, settings, now, db, stop)) or {}
    finally:
        idle.close()
    if result.get("claimed") == 0 and not result.get("errors"):
        # An idle tick (every few seconds, in every worker) writes nothing: on SQLite each
        # write takes the database's one write lock.
        return JobOutcome(job.name, ran=True, result=result)
    with db.transaction() as session:
        row = _lock_row(session, job.name)
        row.runs += 1
        row.last_started_at = now
        row.last_finished_at = clock.now()
        row.last_result = json.dumps(result, ensure_ascii=False, default=str)
    return JobOutcome(job.name, ran=True, result=result)


_schedulers: weakref.WeakSet[JobScheduler] = weakref.WeakSet()


def nudge(name: str) -> None:
    """Offer job ``name`` its tick now in every scheduler of this process (a commit that
    gave it work); a scheduler without it ignores this."""
    for scheduler in list(_schedulers):
        scheduler.nudge(name)


class JobScheduler:
    """Daemon threads per worker process, one per lane, that offer every registered job of
    ``lanes`` (default: all) its tick. The lock and the ``job_runs`` row decide who runs a
    run-once job; the others skip. A claim-based job runs in every scheduler."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        jobs: JobRegistry | None = None,
        lanes: Iterable[str] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs or registry
        self.lanes = set(lanes) if lanes is not None else None
        self._next: dict[str, float] = {}
        self._stop = threading.Event()
        self._wake: dict[str, threading.Event] = {}
        self._soon: dict[str, float] = {}  # lane → when a nudged job of it is due
        self._threads: list[threading.Thread] = []
        _schedulers.add(self)

    def _period(self, job: Job) -> float:
        if job.daily_after_hour is not None:
            return 60.0
        return job.interval(self.settings)

    def _jobs(self, lane: str | None = None) -> list[Job]:
        return [
            j
            for j in self.jobs
            if (self.lanes is None or j.lane in self.lanes) and (lane is None or j.lane == lane)
        ]

    def tick(self, lane: str | None = None) -> list[JobOutcome]:
        """Offer every job (of ``lane``) whose time has come in this process its run."""
        done = []
        for job in self._jobs(lane):
            period = self._period(job)
            if period <= 0 or time.monotonic() < self._next.get(job.name, 0.0):
                continue
            self._next[job.name] = time.monotonic() + period
            try:
                with job_timer(job.name):
                    outcome = run_job_now(self.db, job, self.settings, stop=self._stop)
            except Exception:
                log.exception("job %s failed", job.name)
                continue
            if outcome.ran and not job.concurrent:
                log.info("job %s: %s", job.name, outcome.result)
            done.append(outcome)
        return done

    def nudge(self, name: str) -> None:
        """Bring job ``name``'s tick forward to at most ``nudge_delay_seconds`` from now:
        the commits of a burst (a morning queue) are then delivered by one claim instead
        of one claim each."""
        soon = time.monotonic() + self.settings.nudge_delay_seconds
        for job in self._jobs():
            if job.name == name:
                if self._next.get(name, 0.0) > soon:
                    self._next[name] = soon
                self._soon[job.lane] = min(self._soon.get(job.lane, soon), soon)
                wake = self._wake.get(job.lane)
                if wake is not None:
                    wake.set()

    def start(self) -> None:
        for lane in sorted({j.lane for j in self._jobs()}):
            self._wake[lane] = threading.Event()
            t = threading.Thread(
                target=self._loop, args=(lane,), name=f"bancheng-{lane}", daemon=True
            )
            self._threads.append(t)
            t.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the lanes: each finishes the job in hand (at most ``timeout`` seconds in
        all), then the jobs' ``on_stop`` run."""
        self._stop.set()
        for wake in self._wake.values():
            wake.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        for job in self._jobs():
            if job.on_stop is not None:
                try:
                    job.on_stop(self.db)
                except Exception:
                    log.exception("job %s: on_stop failed", job.name)

    def _loop(self, lane: str) -> None:
        wake = self._wake[lane]
        while not self._stop.is_set():
            self.tick(lane)
            periods = [p for p in map(self._period, self._jobs(lane)) if p > 0]
            timeout = min([5.0, *periods])
            soon = self._soon.pop(lane, None)
            if soon is not None:  # a nudge: tick when it is due
                timeout = min(timeout, max(0.0, soon - time.monotonic()))
            wake.wait(timeout)
            wake.clear()
