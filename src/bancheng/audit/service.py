"""Writing the logs. Called inside the request's transaction, so a log line exists iff the
change it records was committed. Refusals are logged in a transaction of their own."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from bancheng.audit.actions import OPERATIONS, PATH_OBJECTS
from bancheng.audit.models import LoginLog, OperationLog
from bancheng.core import clock
from bancheng.core.deps import LoggedRequest

# ``session.info`` keys: set once an entry of this request is written; an object to name.
_LOGGED = "bancheng.operation_logged"
_OBJECT = "bancheng.operation_object"


class Actor(Protocol):
    """Whom an entry names: a signed-in ``Caller``, or a ``LoggedRequest`` (``None`` and
    "公众" for the public)."""

    @property
    def user_id(self) -> int | None: ...
    @property
    def username(self) -> str: ...
    @property
    def ip(self) -> str | None: ...


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
    if outcome == "ok":
        session.info[_LOGGED] = True
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


def log_action(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """A successful operation's entry: one an endpoint writes itself for the signed-in
    caller (with its details), or the one ``record_request`` writes for a request."""
    log_operation(
        session,
        actor_id=actor.user_id,
        actor_name=actor.username,
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=actor.ip,
        details=details,
    )


def note_object(session: Session, object_type: str, object_id: int | str) -> None:
    """Name the object a request created, for the entry its route writes (a creation's
    path has no id in it)."""
    session.info[_OBJECT] = (object_type, object_id)


def nothing_changed(session: Session) -> None:
    """This write request changed nothing (a dry run): no entry for it."""
    session.info[_LOGGED] = True


def route_operation(method: str, path_template: str | None) -> str | None:
    op = OPERATIONS.get((method, path_template or ""))
    return op.code if op else None


def record_request(session: Session, request: LoggedRequest) -> None:
    """The entry of a state-changing request that succeeded, unless its endpoint wrote
    one itself. Called by the unit of work just before the commit."""
    try:
        if session.info.get(_LOGGED):
            return
        code = route_operation(request.method, request.path_template)
        if code is None:
            return  # a route on the test's exemption list (it changes nothing worth a line)
        object_type: str | None = None
        object_id: Any = None
        noted = session.info.get(_OBJECT)
        if noted is not None:
            object_type, object_id = noted
        details: dict[str, Any] = {}
        for name, value in request.path_params.items():
            if object_type is None and name in PATH_OBJECTS:
                object_type, object_id = PATH_OBJECTS[name], value
            else:
                details[name] = value
        log_action(session, request, code, object_type, object_id, details)
    finally:
        session.info.pop(_LOGGED, None)
        session.info.pop(_OBJECT, None)


def record_denied(session: Session, request: LoggedRequest, code: str) -> None:
    """The entry of a refused request (403/404), written in a transaction of its own."""
    log_operation(
        session,
        actor_id=request.user_id,
        actor_name=request.username,
        action=route_operation(request.method, request.path_template) or "access",
        outcome="denied",
        ip=request.ip,
        details={"code": code, "request": f"{request.method} {request.path}"},
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
