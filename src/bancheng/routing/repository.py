"""Queries of the routing endpoints: the category → department table, recent reports for
hot issues, the unit models' runs and a merged group's cases. Cases are read through
``cases/repository.py`` ``scoped`` (the caller's data scope) and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session

from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.org.models import Department
from bancheng.org.scope import Principal
from bancheng.routing.models import CaseMerge, RoutingTarget, RoutingUnitModel


def department_exists(session: Session, department_id: int) -> bool:
    return session.get(Department, department_id) is not None


def replace_targets(session: Session, pairs: Iterable[tuple[str, int]]) -> None:
    """The category → department table becomes ``pairs``."""
    session.execute(delete(RoutingTarget))
    session.add_all(RoutingTarget(category=c, department_id=d) for c, d in pairs)
    session.flush()


def reports_since(
    session: Session, principal: Principal, start: datetime
) -> Sequence[Row[int, str, str, str, datetime]]:
    """(id, reporter's phone hash, title, description, registered at) of the cases in the
    caller's scope registered since ``start``."""
    return session.execute(
        case_repo.scoped(principal)
        .with_only_columns(
            Case.id, Case.reporter_phone_hash, Case.title, Case.description, Case.registered_at
        )
        .where(Case.registered_at >= start)
    ).all()


def unit_models(session: Session, limit: int) -> Sequence[RoutingUnitModel]:
    """The learning job's runs, newest first."""
    return session.scalars(
        select(RoutingUnitModel).order_by(RoutingUnitModel.id.desc()).limit(limit)
    ).all()


def visible_case(session: Session, principal: Principal, case_id: int) -> Case | None:
    """The case if it is in the caller's scope (a merged group's master), else None."""
    return session.scalar(case_repo.scoped(principal).where(Case.id == case_id))


def visible_followers(session: Session, principal: Principal, master_id: int) -> Sequence[Case]:
    """The cases merged into ``master_id`` that the caller may see, in id order."""
    return session.scalars(
        case_repo.scoped(principal).where(Case.merged_into_id == master_id).order_by(Case.id)
    ).all()


def merges_into(session: Session, master_id: int) -> dict[int, CaseMerge]:
    """The merges into ``master_id`` not undone, by follower."""
    rows = session.scalars(
        select(CaseMerge).where(CaseMerge.master_id == master_id, CaseMerge.undone_at.is_(None))
    )
    return {r.case_id: r for r in rows}
