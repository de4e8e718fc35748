"""Periodic work of the feedback domain: rating reminders, the close of unrated cases
after the late-rating window, and the callback sample. All are idempotent; the job
registry runs them once per tick across processes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bancheng.core.config import Settings
from bancheng.core.jobs import JobContext, JobRegistry, sweep_job
from bancheng.feedback import callbacks, reminders

JOB = "feedback.reminders_and_sampling"


def run(session: Session, settings: Settings) -> dict[str, int]:
    reminded = reminders.remind_unrated(session, settings)
    closed = reminders.close_unrated(session, settings)
    sampled = len(callbacks.sample_closed(session, settings))
    return {"reminded": reminded, "closed_unrated": closed, "sampled": sampled}


def _job(ctx: JobContext) -> dict[str, int]:
    return run(ctx.session, ctx.settings)


def register(jobs: JobRegistry) -> None:
    jobs.register(sweep_job(JOB, _job, "好差评：未评价提醒、逾期未评结案与回访抽样"))
