"""Each evaluation record goes to the unified 好差评 system (evaluated, rectified,
revisited, overturned). That system is integrations' (``integrations.haochaping``), which
fills ``push_record`` at start-up (``install_hooks``): feedback does not import it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bancheng.core.slots import Slot
from bancheng.feedback.models import Evaluation

push_record: Slot[Callable[[Session, Evaluation, str], None]] = Slot("feedback.push_record")


def push(session: Session, ev: Evaluation | None, stage: str) -> None:
    """The record goes to the unified 好差评 system (through the outbox)."""
    if ev is None:
        return
    push_record.get()(session, ev, stage)
