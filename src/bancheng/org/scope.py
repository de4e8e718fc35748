"""Who is acting, and which departments their data scope covers (the RuoYi convention)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from bancheng.org.models import Department, User
from bancheng.org.permissions import allowed
from bancheng.org.repository import custom_scope_ids, fresh_subtree_ids


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
    password_expired: bool = False  # older than password_max_age_days: change it first
    token_permissions: frozenset[str] | None = None  # API tokens are narrowed to these
    ip: str | None = None

    def can(self, permission: str) -> bool:
        if not allowed(self.role, permission):
            return False
        return self.token_permissions is None or permission in self.token_permissions

    @property
    def sees_all(self) -> bool:
        return self.scope_department_ids is None and self.data_scope == "all"


def every_unit(username: str, display_name: str, role: str) -> Principal:
    """A principal of no user who sees every unit (the public figures, a command line)."""
    return Principal(
        user_id=0,
        username=username,
        display_name=display_name,
        role=role,
        department_id=0,
        data_scope="all",
        scope_department_ids=None,
    )


# --- the one data-scope rule ---------------------------------------------------------------
# Which units' rows a principal may see. Every domain's reads of unit-owned rows (orders,
# meetings and decisions, rectifications, callbacks, messages, notices, figures, exports) go
# through these three; cases add the "own cases" rule on top (``cases.repository``).


def visible_units(principal: Principal) -> frozenset[int] | None:
    """The units whose rows the principal may see: ``None`` for every unit; otherwise the
    units of their data scope (none for the ``self`` scope, which sees only its own cases)."""
    if principal.sees_all:
        return None
    return principal.scope_department_ids or frozenset()


def sees_unit(principal: Principal, department_id: int | None) -> bool:
    units = visible_units(principal)
    return units is None or (department_id is not None and department_id in units)


def unit_clause(principal: Principal, *columns: Any) -> ColumnElement[bool]:
    """SQL: the row belongs to a visible unit through any of ``columns``."""
    units = visible_units(principal)
    if units is None:
        return true()
    if not units:
        return false()
    ids = sorted(units)
    return or_(*(c.in_(ids) for c in columns))


# The tree changes rarely and every request needs it: subtrees are cached per process for a
# short time. A change made through this process clears the cache at once; other worker
# processes see it within ``SUBTREE_TTL`` seconds.
SUBTREE_TTL = 30.0
_subtree_cache: dict[tuple[int, ...], tuple[float, frozenset[int]]] = {}


_names: tuple[float, dict[int, str]] = (0.0, {})


def clear_subtree_cache() -> None:
    global _names
    _subtree_cache.clear()
    _names = (0.0, {})


def department_name_map(session: Session) -> dict[int, str]:
    """Every unit's name by id (cached like subtrees; the tree has thousands of units at most)."""
    global _names
    now = time.monotonic()
    if _names[0] > now:
        return _names[1]
    rows = session.execute(select(Department.id, Department.name)).all()
    _names = (now + SUBTREE_TTL, {i: n for i, n in rows})
    return _names[1]


def subtree_ids(session: Session, department_ids: list[int]) -> frozenset[int]:
    """The given units and everything below them: one indexed query on ``path``."""
    if not department_ids:
        return frozenset()
    key = tuple(sorted(set(department_ids)))
    hit = _subtree_cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    result = _subtree_query(session, list(key))
    if len(_subtree_cache) > 10_000:
        _subtree_cache.clear()
    _subtree_cache[key] = (now + SUBTREE_TTL, result)
    return result


def _subtree_query(session: Session, department_ids: list[int]) -> frozenset[int]:
    return fresh_subtree_ids(session, department_ids)


def principal_for(
    session: Session,
    user: User,
    token_permissions: frozenset[str] | None = None,
    ip: str | None = None,
    subtrees: Callable[[list[int]], frozenset[int]] | None = None,
) -> Principal:
    """``subtrees``: how the units below a unit are found (default: ``subtree_ids``)."""
    below = subtrees or (lambda ids: subtree_ids(session, ids))
    unit = below([user.department_id])
    scope: frozenset[int] | None
    if user.data_scope == "all":
        scope = None
    elif user.data_scope == "dept_and_below":
        scope = unit
    elif user.data_scope == "dept":
        scope = frozenset({user.department_id})
    elif user.data_scope == "custom":
        ids = custom_scope_ids(session, user.id)
        # The user's own unit stays visible: the cases they registered or hold are there.
        scope = below(ids) | {user.department_id}
    else:  # "self": only the user's own cases
        scope = frozenset()
    # Password age applies to people signing in, not to an integration's API token.
    expired = token_permissions is None and _password_expired(user)
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        department_id=user.department_id,
        data_scope=user.data_scope,
        scope_department_ids=scope,
        unit_department_ids=unit,
        must_change_password=user.must_change_password or expired,
        password_expired=expired,
        token_permissions=token_permissions,
        ip=ip,
    )


def _password_expired(user: User) -> bool:
    from bancheng.core.config import get_settings
    from bancheng.org.auth import password_expired

    return password_expired(user, get_settings())
