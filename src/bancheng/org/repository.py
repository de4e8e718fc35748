"""Every query the organisation's endpoints make: units, halls, the matter catalogue,
staff accounts and their custom scopes, API tokens, sign-in sessions. The tree and the
catalogue are not scoped (``org.read`` sees all of it); the data scope itself is
``org/scope.py``."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bancheng.org.models import (
    ApiToken,
    AuthSession,
    Department,
    Hall,
    Matter,
    User,
    UserScopeDepartment,
)


def department(session: Session, department_id: int | None) -> Department | None:
    """The unit, or None (also for a caller without one, such as the system administrator)."""
    return None if department_id is None else session.get(Department, department_id)


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
