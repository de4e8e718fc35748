"""Who is calling: an API token (``Authorization: Bearer``) or a console session (cookie,
with its CSRF token on writes). Installed into the request machinery as its
``identify``/``after_identify`` hooks (``core.deps.RequestHooks``, by ``bancheng.hooks``)."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import update
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.deps import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    client_ip,
    open_session,
)
from bancheng.core.errors import Forbidden, Unauthorized
from bancheng.org.auth import (
    TOKEN_PREFIX,
    api_token_lookup,
    session_for_token,
    session_use_is_stale,
    token_use_is_stale,
)
from bancheng.org.models import ApiToken, AuthSession
from bancheng.org.scope import Principal, principal_for

# ``request.state`` key: a console session whose use is written once the look-up ended.
_TOUCH_SESSION = "touch_session_id"


def identify(request: Request, session: Session) -> Principal:
    """The caller, from read-only look-ups in ``session``."""
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
    if session_use_is_stale(auth_session, clock.now()):
        setattr(request.state, _TOUCH_SESSION, auth_session.id)  # written by after_identify
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if not sent or sent != auth_session.csrf_token:
            raise Forbidden("auth.csrf_failed", "页面已过期，请刷新后重试")
    return principal_for(session, user, None, ip)


def after_identify(request: Request) -> None:
    """Record a console session's use (for the idle timeout), once the look-up ended."""
    session_id = getattr(request.state, _TOUCH_SESSION, None)
    if session_id is not None:
        _touch_session(session_id)


def _touch_token(token_id: int) -> None:
    """Record an API token's use in a transaction of its own (begun and committed here)."""
    s = open_session(True)
    try:
        s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now()))
        s.commit()
    finally:
        s.close()


def _touch_session(session_id: int) -> None:
    """Record a console session's use (for the idle timeout) in a transaction of its own."""
    s = open_session(True)
    try:
        s.execute(
            update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=clock.now())
        )
        s.commit()
    finally:
        s.close()
