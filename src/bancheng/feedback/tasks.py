"""Periodic work of the feedback domain, for the sweeper or cron: rating reminders, the
close of unrated cases after the late-rating window, and the callback sample. All are
idempotent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bancheng.core.config import Settings
from bancheng.feedback import service


def run(session: Session, settings: Settings) -> dict[str, int]:
    reminded = service.remind_unrated(session, settings)
    closed = service.close_unrated(session, settings)
    sampled = len(service.sample_closed(session, settings))
    return {"reminded": reminded, "closed_unrated": closed, "sampled": sampled}
