"""Periodic jobs: one registry, one runner, one lock.

Every periodic job (the SLA sweep, supervision escalation, feedback reminders and
sampling, the insights refresh, the nightly rebuild, the daily summary e-mail, ...) is a
``Job`` registered in ``registry`` at start-up (``bancheng.main.register_jobs``). Whoever
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
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
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


@dataclass(frozen=True)
class Job:
    """``run`` does one tick inside the job's transaction and returns figures (JSON).

    Interval jobs run every ``interval(settings)`` seconds (0 or less: not scheduled, still
    runnable by hand); daily jobs (``daily_after_hour`` set) once per local day, at the
    first tick after that hour."""

    name: str
    run: Callable[[JobContext], dict[str, Any] | None]
    interval: Callable[[Settings], float]
    description: str
    daily_after_hour: int | None = None

    @property
    def lock_key(self) -> int:
        digest = hashlib.sha256(f"bancheng.job:{self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def register(self, job: Job) -> Job:
        existing = self._jobs.get(job.name)
        if existing is not None and existing.run is not job.run:
            raise ValueError(f"two different jobs are registered as {job.name!r}")
        self._jobs[job.name] = job
        return job

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


def run_job_now(db: Database, job: Job | str, settings: Settings, **kw: Any) -> JobOutcome:
    """``run_job`` in a transaction of its own (the scheduler, the CLI)."""
    with db.transaction() as session:
        return run_job(session, job, settings, db=db, **kw)


class JobScheduler:
    """A daemon thread per worker process that offers every registered job its tick. The
    lock and the ``job_runs`` row decide who runs it; the others skip."""

    def __init__(self, db: Database, settings: Settings, jobs: JobRegistry | None = None) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs or registry
        self._next: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bancheng-jobs", daemon=True)

    def _period(self, job: Job) -> float:
        if job.daily_after_hour is not None:
            return 60.0
        return job.interval(self.settings)

    def tick(self) -> list[JobOutcome]:
        """Offer every job whose time has come in this process its run."""
        done = []
        for job in self.jobs:
            period = self._period(job)
            if period <= 0 or time.monotonic() < self._next.get(job.name, 0.0):
                continue
            self._next[job.name] = time.monotonic() + period
            try:
                with job_timer(job.name):
                    outcome = run_job_now(self.db, job, self.settings)
            except Exception:
                log.exception("job %s failed", job.name)
                continue
            if outcome.ran:
                log.info("job %s: %s", job.name, outcome.result)
            done.append(outcome)
        return done

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            self.tick()
            periods = [p for p in map(self._period, self.jobs) if p > 0]
            if self._stop.wait(min([5.0, *periods])):
                return
