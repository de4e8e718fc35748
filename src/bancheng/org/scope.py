"""Who is acting, and which departments their data scope covers (the RuoYi convention)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bancheng.org.models import Department, User, UserScopeDepartment
from bancheng.org.permissions import allowed


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    department_id: int
    data_scope: str
    # None: every department. Otherwise the ids the scope covers.
    scope_department_ids: frozenset[int] | None
    # The actor's own unit and everything below it: the units they "work for".
    unit_department_ids: frozenset[int] = field(default_factory=frozenset)
    must_change_password: bool = False
    token_permissions: frozenset[str] | None = None  # API tokens are narrowed to these
    ip: str | None = None

    def can(self, permission: str) -> bool:
        if not allowed(self.role, permission):
            return False
        return self.token_permissions is None or permission in self.token_permissions

    @property
    def sees_all(self) -> bool:
        return self.scope_department_ids is None and self.data_scope == "all"


def subtree_ids(session: Session, department_ids: list[int]) -> frozenset[int]:
    """The given units and everything below them: one indexed query on ``path``."""
    if not department_ids:
        return frozenset()
    paths = session.scalars(select(Department.path).where(Department.id.in_(department_ids))).all()
    if not paths:
        return frozenset()
    rows = session.scalars(
        select(Department.id).where(or_(*[Department.path.like(p + "%") for p in paths]))
    ).all()
    return frozenset(rows)


def principal_for(
    session: Session,
    user: User,
    token_permissions: frozenset[str] | None = None,
    ip: str | None = None,
) -> Principal:
    unit = subtree_ids(session, [user.department_id])
    scope: frozenset[int] | None
    if user.data_scope == "all":
        scope = None
    elif user.data_scope == "dept_and_below":
        scope = unit
    elif user.data_scope == "dept":
        scope = frozenset({user.department_id})
    elif user.data_scope == "custom":
        ids = session.scalars(
            select(UserScopeDepartment.department_id).where(UserScopeDepartment.user_id == user.id)
        ).all()
        scope = subtree_ids(session, list(ids))
    else:  # "self": only the user's own cases
        scope = frozenset()
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        department_id=user.department_id,
        data_scope=user.data_scope,
        scope_department_ids=scope,
        unit_department_ids=unit,
        must_change_password=user.must_change_password,
        token_permissions=token_permissions,
        ip=ip,
    )
