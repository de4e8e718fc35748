"""Sign-in: argon2id passwords, console sessions with CSRF tokens, API tokens, lockout."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from bancheng.audit.service import log_login
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.errors import Invalid, Unauthorized
from bancheng.org import repository
from bancheng.org.models import ApiToken, AuthSession, PasswordHistory, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
TOKEN_PREFIX = "bct_"
# Each argon2 computation takes a core and 64 MiB. A sign-in storm must not take every core
# and request thread of a worker (the health check, the other requests): a few at a time
# per process, the others wait their turn.
_HASHING = threading.BoundedSemaphore(2)


def hash_password(password: str) -> str:
    with _HASHING:
        return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    with _HASHING:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def check_password_policy(password: str, username: str, settings: Settings) -> None:
    """At least ``password_min_length`` characters from three of four classes, and not
    containing the user name."""
    classes = sum(
        bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
    )
    if len(password) < settings.password_min_length or classes < 3:
        raise Invalid(
            "auth.password_too_weak",
            f"密码至少{settings.password_min_length}位，并包含大写字母、小写字母、数字、符号中的三类",
        )
    if username and username.lower() in password.lower():
        raise Invalid("auth.password_contains_username", "密码不能包含用户名")


def password_expired(user: User, settings: Settings, now: datetime | None = None) -> bool:
    """Older than ``password_max_age_days`` (0: passwords never expire)."""
    return password_age_expired(
        user.password_changed_at or user.created_at, settings, now or clock.now()
    )


def password_age_expired(changed: datetime, settings: Settings, now: datetime) -> bool:
    """A password set at ``changed`` is older than ``password_max_age_days`` at ``now``."""
    if not settings.password_max_age_days:
        return False
    return now - changed > timedelta(days=settings.password_max_age_days)


def set_password(
    session: Session, settings: Settings, user: User, new_password: str, *, must_change: bool
) -> None:
    """The one way a password changes: policy, the reuse rule (the current one and the
    ``password_history - 1`` before it), history kept, age restarted."""
    check_password_policy(new_password, user.username, settings)
    keep = settings.password_history
    if keep:
        earlier = repository.password_history(session, user.id)
        recent = [user.password_hash, *(h.password_hash for h in earlier[: keep - 1])]
        if any(verify_password(h, new_password) for h in recent):
            raise Invalid(
                "auth.password_reused",
                f"新密码不能与最近{keep}次使用过的密码相同",
                field="new_password",
            )
        now = clock.now()
        session.add(
            PasswordHistory(user_id=user.id, password_hash=user.password_hash, changed_at=now)
        )
        for old in earlier[max(keep - 2, 0) :]:  # with the one added: keep - 1 kept
            session.delete(old)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = clock.now()
    user.must_change_password = must_change


def session_is_idle(last_seen: datetime, settings: Settings, now: datetime) -> bool:
    """A console session last seen at ``last_seen`` (or begun then) has been idle too long."""
    if not settings.session_idle_minutes:
        return False
    return now - last_seen > timedelta(minutes=settings.session_idle_minutes)


def session_use_is_stale(last_seen: datetime, now: datetime) -> bool:
    """Write ``last_seen_at`` at most once a minute (reads stay reads)."""
    return now - last_seen > timedelta(seconds=60)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class SignIn:
    user: User
    token: str
    csrf_token: str
    expires_at: datetime


INVALID_CREDENTIALS = "auth.invalid_credentials"
INVALID_DETAIL = "用户名或密码错误；连续多次错误后账号将临时锁定，请稍后再试"


@dataclass
class _Attempt:
    user_id: int
    failures: int  # this attempt included
    password_hash: str


def _reserve_attempt(username: str, now: datetime) -> _Attempt | None:
    """Count this attempt as a failure before the password is checked, atomically and in a
    transaction of its own (committed at once, so every worker and instance sees it). None
    for an unknown, inactive or locked account: the same statement, nothing changed."""
    from bancheng.core.deps import separate_transaction

    with separate_transaction() as s:
        row = repository.count_login_attempt(s, username, now)
    return _Attempt(row[0], row[1], row[2]) if row is not None else None


def authenticate(
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
) -> SignIn:
    """Check the password and open a session. Every attempt is logged; the
    ``max_failed_logins``-th failure in a row locks the account for ``lockout_minutes``.

    The attempt is counted before the password is checked (``_reserve_attempt``), so
    parallel wrong guesses, on any number of workers, lock the account after exactly that
    many: a guess counted beyond the limit is refused without its password mattering.
    Unknown users, inactive and locked accounts and wrong passwords get the same answer
    after the same work (one argon2 verification); only the login log tells them apart.
    No lock is held while the password is hashed."""
    now = clock.now()
    attempt = _reserve_attempt(username, now)
    limit = settings.max_failed_logins
    usable = attempt is not None and attempt.failures <= limit
    ok = verify_password(attempt.password_hash if usable else _DUMMY_HASH, password)  # type: ignore[union-attr]
    user = repository.user(session, attempt.user_id) if attempt is not None else None
    if not (usable and ok):
        if attempt is None:
            existing = repository.user_by_username(session, username)
            reason = "unknown_or_inactive" if existing is None or not existing.active else "locked"
            user_id = existing.id if existing is not None else None
        else:
            reason = "bad_password" if usable else "locked"
            user_id = attempt.user_id
            if usable and attempt.failures == limit:
                until = now + timedelta(minutes=settings.lockout_minutes)
                repository.lock_user(session, attempt.user_id, until)
        log_login(
            session,
            username=username,
            user_id=user_id,
            success=False,
            reason=reason,
            ip=ip,
            user_agent=user_agent,
        )
        err = Unauthorized(INVALID_CREDENTIALS, INVALID_DETAIL)
        err.commit_changes = True  # keep the log line and the lock
        raise err
    assert user is not None
    repository.clear_login_failures(session, user.id)
    session.refresh(user)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = now + timedelta(hours=settings.session_hours)
    session.add(
        AuthSession(
            token_hash=sha256_hex(token),
            csrf_token=csrf,
            user_id=user.id,
            created_at=now,
            expires_at=expires,
            ip=ip,
        )
    )
    log_login(
        session,
        username=username,
        user_id=user.id,
        success=True,
        reason=None,
        ip=ip,
        user_agent=user_agent,
    )
    return SignIn(user, token, csrf, expires)


_DUMMY_HASH = _hasher.hash("not-a-real-password-but-costs-the-same")


def session_for_token(session: Session, token: str) -> tuple[AuthSession, User] | None:
    found = repository.session_and_user(session, sha256_hex(token))
    if found is None:
        return None
    row, user = found
    now = clock.now()
    if row.revoked or row.expires_at <= now or not user.active:
        return None
    if session_is_idle(row.last_seen_at or row.created_at, get_settings(), now):
        return None
    return row, user


def create_api_token(
    session: Session, user: User, name: str, permissions: list[str], days: int
) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        name=name,
        prefix=raw[:10],
        token_hash=sha256_hex(raw),
        user_id=user.id,
        permissions=sorted(set(permissions)),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, raw


def api_token_lookup(session: Session, raw: str) -> tuple[ApiToken, User] | None:
    found = repository.token_and_user(session, sha256_hex(raw))
    now = clock.now()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now or not user.active:
        return None
    return row, user


def token_use_is_stale(last_used: datetime | None) -> bool:
    """Use is recorded at most once a minute (per process): a write per request would cost
    more than it tells."""
    return last_used is None or clock.now() - last_used > timedelta(minutes=1)
