"""Shared helpers for the time-limit policy tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bancheng.sla import policies as pol
from bancheng.sla.models import SlaPolicy


def find_policy(
    session: Session,
    kind: str = "cannot_do",
    difficulty: str = "general",
    channel: str = "window",
    dept: int | None = None,
) -> pol.PolicyRow:
    """The policy a case of ``kind``, ``difficulty`` and ``channel`` received by ``dept`` gets."""
    return pol.find_policy(
        session, kind=kind, difficulty=difficulty, channel=channel, department_id=dept
    )


def unit_policy(session: Session, name: str, department_id: int, days: int) -> SlaPolicy:
    """A policy of ``department_id``: respond in one working day, resolve in ``days``."""
    return pol.create_policy(
        session,
        name=name,
        department_id=department_id,
        response_limit=1,
        response_unit="working_days",
        resolution_limit=days,
        resolution_unit="working_days",
    )
