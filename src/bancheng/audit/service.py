"""Writing the logs. Called inside the request's transaction, so a log line exists iff the
change it records was committed. Refusals are logged in a transaction of their own."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bancheng.audit import chain as _chain  # noqa: F401 (registers the append-only guards)
from bancheng.audit.models import LoginLog, OperationLog
from bancheng.core import clock


def log_operation(
    session: Session,
    *,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    outcome: str = "ok",
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        OperationLog(
            at=clock.now(),
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            outcome=outcome,
            ip=ip,
            details=details or {},
        )
    )


def log_login(
    session: Session,
    *,
    username: str,
    user_id: int | None,
    success: bool,
    reason: str | None,
    ip: str | None,
    user_agent: str | None,
) -> None:
    session.add(
        LoginLog(
            at=clock.now(),
            username=username[:64],
            user_id=user_id,
            success=success,
            reason=reason,
            ip=ip,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
