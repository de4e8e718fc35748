"""Who is calling: an API token (``Authorization: Bearer``) or a console session (cookie,
with its CSRF token on writes). Installed into the request machinery as its
``identify``/``after_identify`` hooks (``core.deps.RequestHooks``, by ``bancheng.hooks``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.cache import Cached
from bancheng.core.config import get_settings
from bancheng.core.deps import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    client_ip,
    open_session,
)
from bancheng.core.errors import Forbidden, Unauthorized
from bancheng.org import repository
from bancheng.org.auth import (
    TOKEN_PREFIX,
    api_token_lookup,
    password_age_expired,
    session_for_token,
    session_is_idle,
    session_use_is_stale,
    sha256_hex,
    token_use_is_stale,
)
from bancheng.org.models import ApiToken, AuthSession, Department, User, UserScopeDepartment
from bancheng.org.repository import fresh_subtree_ids
from bancheng.org.scope import Principal, principal_for

# ``request.state`` key: a console session whose use is written once the look-up ended.
_TOUCH_SESSION = "touch_session_id"


@dataclass
class _Known:
    """A valid API token or console session and the principal it stands for, as read from
    the database under one stamp of ``_known``. What depends on the clock (expiry, idle
    time, password age) is checked again at every request."""

    principal: Principal  # without ``ip``; password age applied per request
    row_id: int
    expires_at: datetime
    # The token's last recorded use (None: never); the session's last seen (or its start).
    used_at: datetime | None
    csrf_token: str | None  # console sessions
    password_changed: datetime  # the user's, for ``password_max_age_days``
    must_change: bool  # the user's own flag


# Valid tokens and sessions by ``kind:sha256(token)``, built from users, their custom data
# scopes, the department tree, API tokens and console sessions: any change of one of them
# (a revoked token, a sign-out, a disabled user, a changed role, unit or scope, a moved
# department) commits a new stamp, and every process then reads the database again. The
# writes of a token's or session's last use do not change the stamp (``_touch_*``).
_known: Cached[dict[str, _Known]] = Cached(
    "principals",
    (User, UserScopeDepartment, Department, ApiToken, AuthSession),
    lambda _session: {},
)
_MAX_KNOWN = 10_000
_TOKEN_INVALID = ("auth.token_invalid", "令牌无效、已过期或已吊销")
_SIGN_IN = ("auth.required", "请先登录")


def _principal(session: Session, user: User, permissions: frozenset[str] | None) -> Principal:
    # The subtrees from the database, not the time-limited subtree cache: the stamp says
    # the tree is the one this transaction sees.
    return principal_for(
        session, user, permissions, subtrees=lambda ids: fresh_subtree_ids(session, ids)
    )


def _read(
    session: Session,
    known: dict[str, _Known],
    key: str,
    found: tuple[ApiToken | AuthSession, User] | None,
    refusal: tuple[str, str],
) -> _Known:
    """The entry of an API token or console session just looked up (``found``: the row and
    its user), remembered under ``key``; when there is none, ``key`` is forgotten and
    ``Unauthorized(*refusal)`` raised."""
    if found is None:
        known.pop(key, None)
        raise Unauthorized(*refusal)
    row, user = found
    permissions: frozenset[str] | None
    if isinstance(row, ApiToken):
        permissions, used_at, csrf_token = frozenset(row.permissions), row.last_used_at, None
    else:
        permissions, used_at, csrf_token = None, row.last_seen_at or row.created_at, row.csrf_token
    entry = _Known(
        principal=_principal(session, user, permissions),
        row_id=row.id,
        expires_at=row.expires_at,
        used_at=used_at,
        csrf_token=csrf_token,
        password_changed=user.password_changed_at or user.created_at,
        must_change=user.must_change_password,
    )
    if len(known) >= _MAX_KNOWN:
        known.clear()
    known[key] = entry
    return entry


def _as_caller(entry: _Known, ip: str | None) -> Principal:
    p = entry.principal
    expired = False
    if p.token_permissions is None:  # password age applies to people, not to API tokens
        expired = password_age_expired(entry.password_changed, get_settings(), clock.now())
    return dataclasses.replace(
        p, ip=ip, must_change_password=entry.must_change or expired, password_expired=expired
    )


def _must_read(last_seen: datetime, expires_at: datetime, now: datetime) -> bool:
    """A remembered console session is read again when it expired, when its use is due to
    be recorded, or when it looks idle (another process may have recorded a later use)."""
    return (
        expires_at <= now
        or session_use_is_stale(last_seen, now)
        or session_is_idle(last_seen, get_settings(), now)
    )


def identify(request: Request, session: Session) -> Principal:
    """The caller, from read-only look-ups in ``session`` (none while ``_known`` holds a
    valid entry for the token and its stamp is unchanged)."""
    ip = client_ip(request)
    now = clock.now()
    known = _known.get(session)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        raw = auth[7:].strip()
        if not raw.startswith(TOKEN_PREFIX):
            raise Unauthorized(*_TOKEN_INVALID)
        key = "t:" + sha256_hex(raw)
        entry = known.get(key)
        if entry is None or entry.expires_at <= now:
            entry = _read(session, known, key, api_token_lookup(session, raw), _TOKEN_INVALID)
        if token_use_is_stale(entry.used_at):
            _touch_token(entry.row_id)
            entry.used_at = now  # this process's record; others keep their own
        return _as_caller(entry, ip)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized(*_SIGN_IN)
    key = "s:" + sha256_hex(cookie)
    entry = known.get(key)
    if entry is None or entry.used_at is None or _must_read(entry.used_at, entry.expires_at, now):
        entry = _read(session, known, key, session_for_token(session, cookie), _SIGN_IN)
        if entry.used_at is None or session_use_is_stale(entry.used_at, now):
            setattr(request.state, _TOUCH_SESSION, entry.row_id)  # written by after_identify
            entry.used_at = now
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if not sent or sent != entry.csrf_token:
            raise Forbidden("auth.csrf_failed", "页面已过期，请刷新后重试")
    return _as_caller(entry, ip)


def after_identify(request: Request) -> None:
    """Record a console session's use (for the idle timeout), once the look-up ended."""
    session_id = getattr(request.state, _TOUCH_SESSION, None)
    if session_id is not None:
        _touch_session(session_id)


def _apart(write: Callable[[Session], None]) -> None:
    """Run ``write`` in a transaction of its own, begun and committed here."""
    s = open_session(True)
    try:
        write(s)
        s.commit()
    finally:
        s.close()


def _touch_token(token_id: int) -> None:
    """Record an API token's use."""
    _apart(lambda s: repository.touch_token(s, token_id, clock.now()))


def _touch_session(session_id: int) -> None:
    """Record a console session's use (for the idle timeout)."""
    _apart(lambda s: repository.touch_session(s, session_id, clock.now()))
