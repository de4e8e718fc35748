"""Request dependencies: the unit of work and the caller.

The request owns the transaction: ``db_session`` commits after the endpoint returns and
rolls back when it raises. A refusal (403/404) is logged in the same session after the
rollback, so the log line lands and nothing else does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation, record_request, route_operation
from bancheng.core.config import Settings, get_settings
from bancheng.core.db import get_database
from bancheng.core.errors import DomainError, Forbidden, Unauthorized
from bancheng.org.scope import Principal

SESSION_COOKIE = "bc_session"
CSRF_COOKIE = "bc_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Tests replace this to run each request inside the test's transaction.
session_factory: Callable[[bool], Session] | None = None


def _open_session(write: bool) -> Session:
    if session_factory is not None:
        return session_factory(write)
    return get_database().session(write)


def db_session(request: Request) -> Iterator[Session]:
    session = _open_session(request.method not in SAFE_METHODS)
    request.state.db = session
    try:
        yield session
        if request.method not in SAFE_METHODS:
            _record(request, session)
        session.commit()
    except DomainError as exc:
        if exc.commit_changes:
            session.commit()
        else:
            session.rollback()
            principal: Principal | None = getattr(request.state, "principal", None)
            if principal is not None and exc.status_code in (403, 404):
                log_operation(
                    session,
                    actor_id=principal.user_id,
                    actor_name=principal.username,
                    action=route_operation(request.method, _template(request)) or "access",
                    outcome="denied",
                    ip=principal.ip,
                    details={
                        "code": exc.code,
                        "request": f"{request.method} {request.url.path}",
                    },
                )
                session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _template(request: Request) -> str | None:
    route = request.scope.get("route")
    return getattr(route, "path", None)


def _record(request: Request, session: Session) -> None:
    """The operation-log entry of a state-changing request (``audit.actions``)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    record_request(
        session,
        method=request.method,
        path_template=_template(request),
        path_params=dict(request.path_params),
        actor_id=principal.user_id if principal else None,
        actor_name=principal.username if principal else "公众",
        ip=principal.ip if principal else client_ip(request),
    )


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _resolve_principal(request: Request, session: Session) -> Principal:
    """Who is calling. The look-ups run in a short read session of their own: on SQLite the
    request's write session takes the database's write lock at its first statement, and
    that must happen in the endpoint, not in a dependency that then waits for a free
    worker thread while holding it (which starves the pool under load)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    lookup = _open_session(False)
    try:
        principal = _lookup_principal(request, lookup)
    finally:
        lookup.rollback()
        lookup.close()
    request.state.principal = principal
    return principal


def _lookup_principal(request: Request, session: Session) -> Principal:
    from bancheng.org.auth import (
        TOKEN_PREFIX,
        api_token_lookup,
        session_for_token,
        token_use_is_stale,
    )
    from bancheng.org.scope import principal_for

    ip = client_ip(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        raw = auth[7:].strip()
        found = api_token_lookup(session, raw) if raw.startswith(TOKEN_PREFIX) else None
        if found is None:
            raise Unauthorized("auth.token_invalid", "令牌无效、已过期或已吊销")
        token, user = found
        if token_use_is_stale(token):
            _touch_token(token.id)
        return principal_for(session, user, frozenset(token.permissions), ip)
    cookie = request.cookies.get(SESSION_COOKIE)
    found_s = session_for_token(session, cookie) if cookie else None
    if found_s is None:
        raise Unauthorized("auth.required", "请先登录")
    auth_session, user = found_s
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if not sent or sent != auth_session.csrf_token:
            raise Forbidden("auth.csrf_failed", "页面已过期，请刷新后重试")
    return principal_for(session, user, None, ip)


def _touch_token(token_id: int) -> None:
    """Record an API token's use in a transaction of its own (begun and committed here)."""
    from sqlalchemy import update

    from bancheng.core import clock
    from bancheng.org.models import ApiToken

    s = _open_session(True)
    try:
        s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now()))
        s.commit()
    finally:
        s.close()


def current_principal(request: Request, session: Session = Depends(db_session)) -> Principal:
    """The caller, even one who still has to change an initial password."""
    return _resolve_principal(request, session)


class Require:
    """``Depends(require("case.read"))``: the caller must hold the permission. The route
    table test reads ``permission`` off these dependencies to build its matrix."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def __call__(self, request: Request, session: Session = Depends(db_session)) -> Principal:
        principal = _resolve_principal(request, session)
        if principal.must_change_password:
            raise Forbidden("auth.password_change_required", "请先修改初始密码")
        if not principal.can(self.permission):
            raise Forbidden("auth.forbidden", "无权执行此操作")
        return principal


def require(permission: str) -> Any:
    return Depends(Require(permission))


def settings_dep() -> Settings:
    return get_settings()
