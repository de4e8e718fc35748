"""Queries of the dispatch catalogue (派单目录): its entries, an entry by id or matter, and
the units an entry may name."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.dispatch.models import DispatchCatalogueEntry
from bancheng.org.models import Department


def entries(session: Session, include_inactive: bool = True) -> list[DispatchCatalogueEntry]:
    """The catalogue by matter (``include_inactive=False``: the active entries only)."""
    stmt = select(DispatchCatalogueEntry).order_by(DispatchCatalogueEntry.matter)
    if not include_inactive:
        stmt = stmt.where(DispatchCatalogueEntry.active.is_(True))
    return list(session.scalars(stmt))


def entry(session: Session, entry_id: int) -> DispatchCatalogueEntry | None:
    return session.get(DispatchCatalogueEntry, entry_id)


def entry_for_matter(session: Session, matter: str) -> DispatchCatalogueEntry | None:
    return session.scalar(
        select(DispatchCatalogueEntry).where(DispatchCatalogueEntry.matter == matter)
    )


def active_department_ids(session: Session, ids: Collection[int]) -> set[int]:
    """The active units among ``ids``."""
    return {
        d.id for d in session.scalars(select(Department).where(Department.id.in_(ids))) if d.active
    }


def active_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).where(Department.active.is_(True))))
