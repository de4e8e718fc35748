"""Queries of routing: the category → department table, recent reports for hot issues,
the unit models' runs and a merged group's cases, the learning job's examples and its
record, the similar-case index's rows and the links between duplicates. Cases a caller
sees are read through ``cases/repository.py`` ``scoped`` (the caller's data scope)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.org.models import Department, Matter
from bancheng.org.scope import Principal
from bancheng.routing.models import CaseLink, CaseMerge, RoutingTarget, RoutingUnitModel


def department_exists(session: Session, department_id: int) -> bool:
    return session.get(Department, department_id) is not None


def replace_targets(session: Session, pairs: Iterable[tuple[str, int]]) -> None:
    """The category → department table becomes ``pairs``."""
    session.execute(delete(RoutingTarget))
    session.add_all(RoutingTarget(category=c, department_id=d) for c, d in pairs)
    session.flush()


def reports_since(
    session: Session, principal: Principal, start: datetime, limit: int | None = None
) -> Sequence[Row[int, str, str, str, datetime]]:
    """(id, reporter's phone hash, title, description, registered at) of the cases in the
    caller's scope registered since ``start``; with ``limit``, the first ``limit`` by id."""
    query = (
        case_repo.scoped(principal)
        .with_only_columns(
            Case.id, Case.reporter_phone_hash, Case.title, Case.description, Case.registered_at
        )
        .where(Case.registered_at >= start)
    )
    if limit is not None:
        query = query.order_by(Case.id).limit(limit)
    return session.execute(query).all()


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


# --- the router: targets, matters, similar cases' units ------------------------------------


def active_targets(session: Session) -> Sequence[Row[str, int, str]]:
    """(category, unit id, unit name) of the category → unit table, active units only."""
    return session.execute(
        select(RoutingTarget.category, Department.id, Department.name)
        .join(Department, Department.id == RoutingTarget.department_id)
        .where(Department.active.is_(True))
    ).all()


def target_units(session: Session) -> dict[str, int]:
    """The category → unit table as it is (inactive units too)."""
    return {
        c: d
        for c, d in session.execute(select(RoutingTarget.category, RoutingTarget.department_id))
    }


def active_unit_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """id → name of the active units among ``ids``."""
    return dict(
        session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_(ids), Department.active.is_(True)
            )
        ).all()
    )


def matter(session: Session, matter_id: int) -> Matter | None:
    return session.get(Matter, matter_id)


def labelled_units(
    session: Session, case_ids: Collection[int], states: Collection[str]
) -> dict[int, int]:
    """Case id → its unit, for the cases among ``case_ids`` that are labelled examples: in
    ``states``, not resolved on the spot, and held by a unit other than the first-receipt
    one."""
    return dict(
        session.execute(
            select(Case.id, Case.current_department_id).where(
                Case.id.in_(case_ids),
                Case.state.in_(states),
                Case.resolved_on_spot.is_(False),
                Case.current_department_id != Case.first_receipt_department_id,
            )
        ).all()
    )


def labelled_examples(
    session: Session, states: Collection[str]
) -> Sequence[Row[int, datetime, str, str, int]]:
    """(id, registered at, title, description, unit) of the labelled examples (as in
    ``labelled_units``), oldest first."""
    return session.execute(
        select(
            Case.id, Case.registered_at, Case.title, Case.description, Case.current_department_id
        )
        .where(
            Case.state.in_(states),
            Case.resolved_on_spot.is_(False),
            Case.current_department_id != Case.first_receipt_department_id,
        )
        .order_by(Case.registered_at, Case.id)
    ).all()


def case_texts_after(
    session: Session, after_id: int, newest: int | None = None
) -> Sequence[Row[int, str, str]]:
    """(id, title, description) of the cases with an id above ``after_id``; with
    ``newest``, only that many of the newest, newest first."""
    stmt = select(Case.id, Case.title, Case.description).where(Case.id > after_id)
    if newest is not None:
        stmt = stmt.order_by(Case.id.desc()).limit(newest)
    return session.execute(stmt).all()


def visible_cases(session: Session, principal: Principal, ids: Collection[int]) -> dict[int, Case]:
    """The cases among ``ids`` in the caller's scope, by id."""
    return {c.id: c for c in session.scalars(case_repo.scoped(principal).where(Case.id.in_(ids)))}


def any_department_id(session: Session) -> int | None:
    """One unit's id: a cheap first read, so the transaction is connected before the work."""
    return session.scalar(select(Department.id).limit(1))


def resolved_case_rows(session: Session, states: Collection[str]) -> list[tuple[str, str, str]]:
    """(title, description, unit name) of every case in ``states``, in id order."""
    query = (
        select(Case.title, Case.description, Department.name)
        .join(Department, Department.id == Case.current_department_id)
        .where(Case.state.in_(states))
        .order_by(Case.id)
    )
    return [(title, description, name) for title, description, name in session.execute(query)]


# --- links between duplicates ------------------------------------------------------------


def link(session: Session, case_id: int, other_id: int) -> CaseLink | None:
    return session.get(CaseLink, (case_id, other_id))


def _links(
    session: Session, case_id: int, own: InstrumentedAttribute[int], far: InstrumentedAttribute[int]
) -> Sequence[Row[int, int, str]]:
    """(case, other case, the number of the ``far`` end) of the links whose ``own`` end is
    the case."""
    return session.execute(
        select(CaseLink.case_id, CaseLink.other_case_id, Case.number)
        .join(Case, Case.id == far)
        .where(own == case_id)
    ).all()


def links_from(session: Session, case_id: int) -> Sequence[Row[int, int, str]]:
    """(case, other case, other's number) of the links the case made."""
    return _links(session, case_id, CaseLink.case_id, CaseLink.other_case_id)


def links_to(session: Session, case_id: int) -> Sequence[Row[int, int, str]]:
    """(case, other case, the linking case's number) of the links made to the case."""
    return _links(session, case_id, CaseLink.other_case_id, CaseLink.case_id)


# --- merges ------------------------------------------------------------------------------


def current_merge(session: Session, case_id: int) -> CaseMerge | None:
    """The merge that holds the case now (not undone)."""
    return session.scalar(
        select(CaseMerge)
        .where(CaseMerge.case_id == case_id, CaseMerge.undone_at.is_(None))
        .order_by(CaseMerge.id.desc())
        .limit(1)
    )


def followers(session: Session, master_id: int) -> list[Case]:
    """Every case merged into ``master_id``, in id order."""
    return list(
        session.scalars(select(Case).where(Case.merged_into_id == master_id).order_by(Case.id))
    )


def case(session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id)


# --- the unit models' record (learning) -------------------------------------------------


def active_unit_row(session: Session) -> RoutingUnitModel | None:
    return session.scalar(
        select(RoutingUnitModel).where(RoutingUnitModel.active.is_(True)).limit(1)
    )


def active_unit_id(session: Session) -> int | None:
    return session.scalar(
        select(RoutingUnitModel.id).where(RoutingUnitModel.active.is_(True)).limit(1)
    )


def unit_artefact(session: Session, model_id: int) -> bytes | None:
    return session.scalar(select(RoutingUnitModel.artefact).where(RoutingUnitModel.id == model_id))


def last_unit_model_id(session: Session) -> int | None:
    """The newest run's id (promoted or not)."""
    return session.scalar(select(func.max(RoutingUnitModel.id)))


def unit_model(
    session: Session, model_id: int, *, for_update: bool = False
) -> RoutingUnitModel | None:
    return session.get(RoutingUnitModel, model_id, with_for_update=for_update)


def try_run_lock(session: Session, key: int) -> bool:
    """On PostgreSQL, the transaction's advisory lock ``key`` if no one holds it (False
    when someone does); elsewhere always True."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(select(func.pg_try_advisory_xact_lock(key))).scalar())


def deactivate_unit_model(session: Session, model_id: int | None) -> None:
    """The run ``model_id`` is no longer the one in use."""
    session.execute(
        update(RoutingUnitModel).where(RoutingUnitModel.id == model_id).values(active=False)
    )
