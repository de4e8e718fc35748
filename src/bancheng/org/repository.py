"""Every query the organisation's endpoints make: units, halls, the matter catalogue,
staff accounts and their custom scopes, API tokens, sign-in sessions; and what the data
scope (``org/scope.py``) and the organisation's services read. The tree and the
catalogue are not scoped (``org.read`` sees all of it); the data scope itself is
``org/scope.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

from bancheng.org.models import (
    ApiToken,
    AuthSession,
    Department,
    Hall,
    Matter,
    PasswordHistory,
    User,
    UserScopeDepartment,
)


def department(session: Session, department_id: int | None) -> Department | None:
    """The unit, or None (also for a caller without one, such as the system administrator)."""
    return None if department_id is None else session.get(Department, department_id)


def department_code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(Department.id).where(Department.code == code)) is not None


def first_root_department(session: Session) -> Department | None:
    """The oldest unit without a parent (the top of the tree), if there is one."""
    return session.scalar(
        select(Department).where(Department.parent_id.is_(None)).order_by(Department.id)
    )


def department_names(session: Session) -> dict[int, str]:
    """Every unit's name by id."""
    rows = session.execute(select(Department.id, Department.name)).all()
    return {i: n for i, n in rows}


def departments(session: Session) -> list[Department]:
    """The whole tree, each unit after its parent (by path), siblings in their order."""
    return list(session.scalars(select(Department).order_by(Department.path, Department.sort)))


def department_ids_by_code(session: Session) -> dict[str, int]:
    return {code: id_ for id_, code in session.execute(select(Department.id, Department.code))}


def hall(session: Session, hall_id: int) -> Hall | None:
    return session.get(Hall, hall_id)


def halls(session: Session) -> list[Hall]:
    """Every hall, its windows in number order."""
    found = list(session.scalars(select(Hall).order_by(Hall.id)))
    for h in found:
        h.windows.sort(key=lambda w: w.number)
    return found


def matter(session: Session, matter_id: int) -> Matter | None:
    return session.get(Matter, matter_id)


def active_matters(session: Session) -> list[Matter]:
    return list(
        session.scalars(select(Matter).where(Matter.active.is_(True)).order_by(Matter.code))
    )


def matters_by_code(session: Session) -> dict[str, Matter]:
    return {m.code: m for m in session.scalars(select(Matter))}


def matter_code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(Matter.id).where(Matter.code == code)) is not None


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def department_paths(session: Session) -> dict[int, str]:
    """Every unit's materialised path by id."""
    return {i: p for i, p in session.execute(select(Department.id, Department.path))}


def fresh_subtree_ids(session: Session, department_ids: list[int]) -> frozenset[int]:
    """The given units and everything below them, read now: one indexed query on ``path``."""
    paths = session.scalars(select(Department.path).where(Department.id.in_(department_ids))).all()
    if not paths:
        return frozenset()
    rows = session.scalars(
        select(Department.id).where(or_(*[Department.path.like(p + "%") for p in paths]))
    ).all()
    return frozenset(rows)


def custom_scope_ids(session: Session, user_id: int) -> list[int]:
    """The units a ``custom`` data scope names (without the units below them)."""
    return list(
        session.scalars(
            select(UserScopeDepartment.department_id).where(UserScopeDepartment.user_id == user_id)
        )
    )


def clear_custom_scope(session: Session, user_id: int) -> None:
    session.execute(delete(UserScopeDepartment).where(UserScopeDepartment.user_id == user_id))


def api_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def api_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def auth_session(session: Session, token_hash: str) -> AuthSession | None:
    """The sign-in session whose cookie hashes to ``token_hash``."""
    return session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash))


# -- sign-in (org/auth.py, org/caller.py) --


def password_history(session: Session, user_id: int) -> list[PasswordHistory]:
    """The account's earlier passwords, newest first."""
    return list(
        session.scalars(
            select(PasswordHistory)
            .where(PasswordHistory.user_id == user_id)
            .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc())
        )
    )


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def count_login_attempt(
    session: Session, username: str, now: datetime
) -> tuple[int, int, str] | None:
    """Count a sign-in attempt against an active, unlocked account in one statement:
    ``(id, failed_logins, password_hash)`` after the count, or None (nothing changed)."""
    row = session.execute(
        update(User)
        .where(
            User.username == username,
            User.active.is_(True),
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.failed_logins, User.password_hash)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def lock_user(session: Session, user_id: int, until: datetime) -> None:
    session.execute(
        update(User).where(User.id == user_id).values(locked_until=until, failed_logins=0)
    )


def clear_login_failures(session: Session, user_id: int) -> None:
    session.execute(
        update(User).where(User.id == user_id).values(failed_logins=0, locked_until=None)
    )


def _with_user(session: Session, model: type[AuthSession] | type[ApiToken], token_hash: str) -> Any:
    """The credential row (a sign-in session or an API token) with its account."""
    query = select(model, User).join(User, User.id == model.user_id)
    found = session.execute(query.where(model.token_hash == token_hash)).first()
    return None if found is None else (found[0], found[1])


def session_and_user(session: Session, token_hash: str) -> tuple[AuthSession, User] | None:
    """The sign-in session whose cookie hashes to ``token_hash``, with its account."""
    return cast("tuple[AuthSession, User] | None", _with_user(session, AuthSession, token_hash))


def token_and_user(session: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    """The API token that hashes to ``token_hash``, with its account."""
    return cast("tuple[ApiToken, User] | None", _with_user(session, ApiToken, token_hash))


# The last-use writes are Core statements on the tables: the time of last use is not part
# of the principal cache (``org/caller.py``), and an ORM statement would give its stamp a
# new value once a minute per token and session, reloading every process's principals.
_tokens = cast(Table, ApiToken.__table__)
_sessions = cast(Table, AuthSession.__table__)


def touch_token(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(_tokens).where(_tokens.c.id == token_id).values(last_used_at=now))


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    session.execute(update(_sessions).where(_sessions.c.id == session_id).values(last_seen_at=now))
