"""Every query of the integrations' endpoints and services that is not another domain's:
the 12345 work orders and the cases behind them, what the results pushed back to 12345
read, the bulk import's lookups and its multi-row writes (PostgreSQL: COPY), the
好差评 records, and what Open311 reads (the matter catalogue, the cases filed through
it). These callers are platforms, not staff: nothing here is narrowed by a data scope
(Open311 sees only what was filed through Open311), except the 好差评 batch export, which
is read in the caller's scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, and_, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bancheng.cases.models import Case, CaseDepartment, CaseEvent, DispatchObjection
from bancheng.cases.repository import scope_clause
from bancheng.feedback.models import CallbackTask, Evaluation, Rectification
from bancheng.insights.models import ImportedWorkOrder
from bancheng.integrations.models import HotlineOrder, Open311Token
from bancheng.org.models import Department, Hall, Matter, ServiceWindow
from bancheng.org.scope import Principal

OPEN311_MAX_RESULTS = 1000


def order_case(session: Session, row: HotlineOrder, *, lock: bool = False) -> Case:
    """The case a work order became (locked for update when ``lock``)."""
    case = session.get(Case, row.case_id, with_for_update=lock or None)
    assert case is not None
    return case


def department_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name)).all())


def active_matter(session: Session, code: str) -> Matter | None:
    return session.scalar(select(Matter).where(Matter.code == code, Matter.active.is_(True)))


def matter_services(session: Session) -> dict[int, tuple[str, str]]:
    """Every matter's (code, name) by id, inactive ones too (old requests name them)."""
    return {
        m.id: (m.code, m.name) for m in session.execute(select(Matter.id, Matter.code, Matter.name))
    }


def _open311_cases() -> Select[Case]:
    return select(Case).join(Open311Token, Open311Token.case_id == Case.id)


def open311_case(session: Session, number: str) -> Case | None:
    return session.scalar(_open311_cases().where(Case.number == number))


def open311_token_case(session: Session, token: str) -> Case | None:
    row = session.get(Open311Token, token)
    return session.get(Case, row.case_id) if row else None


def open311_cases(
    session: Session,
    *,
    numbers: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    kinds: list[str] | None = None,
    matter_codes: list[str] | None = None,
    states: list[str] | None = None,
    other_states: list[str] | None = None,
) -> list[Case]:
    """Cases filed through Open311, newest first, at most ``OPEN311_MAX_RESULTS``: by
    number, or registered between ``start`` and ``end`` (UTC); ``kinds`` (cases without a
    matter) and ``matter_codes`` are alternatives; ``states`` keeps, ``other_states``
    leaves out."""
    stmt = _open311_cases()
    if numbers is not None:
        stmt = stmt.where(Case.number.in_(numbers))
    if start is not None:
        stmt = stmt.where(Case.registered_at >= start)
    if end is not None:
        stmt = stmt.where(Case.registered_at <= end)
    if kinds or matter_codes:
        matter_ids = (
            list(session.scalars(select(Matter.id).where(Matter.code.in_(matter_codes))))
            if matter_codes
            else []
        )
        conds: list[ColumnElement[bool]] = []
        if kinds:
            conds.append(and_(Case.kind.in_(kinds), Case.matter_id.is_(None)))
        if matter_ids:
            conds.append(Case.matter_id.in_(matter_ids))
        if not conds:
            return []
        stmt = stmt.where(or_(*conds))
    if states is not None:
        stmt = stmt.where(Case.state.in_(states))
    if other_states is not None:
        stmt = stmt.where(Case.state.not_in(other_states))
    stmt = stmt.order_by(Case.registered_at.desc(), Case.id.desc()).limit(OPEN311_MAX_RESULTS)
    return list(session.scalars(stmt))


# --- 12345 work orders -------------------------------------------------------------------


def hotline_order(
    session: Session, order_number: str, *, lock: bool = False
) -> HotlineOrder | None:
    """The register row of a work order (locked for update when ``lock``)."""
    stmt = select(HotlineOrder).where(HotlineOrder.order_number == order_number)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def hotline_order_status(session: Session, order_number: str) -> str | None:
    return session.scalar(
        select(HotlineOrder.status).where(HotlineOrder.order_number == order_number)
    )


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def objection(session: Session, objection_id: Any) -> DispatchObjection | None:
    return session.get(DispatchObjection, objection_id)


# --- the bulk import of work orders --------------------------------------------------------


def departments_for_import(session: Session) -> Sequence[Row[int, str, str]]:
    """(id, name, code) of every unit."""
    return session.execute(select(Department.id, Department.name, Department.code)).all()


def matters_for_import(session: Session) -> Sequence[Row[int, str, str, int | None]]:
    """(id, name, code, unit) of every matter."""
    return session.execute(select(Matter.id, Matter.name, Matter.code, Matter.department_id)).all()


def halls_by_name(session: Session) -> dict[str, int]:
    return dict((n, i) for i, n in session.execute(select(Hall.id, Hall.name)).all())


def department_id_by_code(session: Session, code: str) -> int | None:
    dept_id: int | None = session.scalar(select(Department.id).where(Department.code == code))
    return dept_id


def imported_ids(session: Session, source: str, external_ids: Collection[str]) -> set[str]:
    """Which of ``external_ids`` are registered already as imported from ``source``."""
    return set(
        session.scalars(
            select(ImportedWorkOrder.external_id).where(
                ImportedWorkOrder.source == source,
                ImportedWorkOrder.external_id.in_(external_ids),
            )
        )
    )


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


CASES, CASE_UNITS, CASE_EVENTS, REGISTER = (
    _table(m) for m in (Case, CaseDepartment, CaseEvent, ImportedWorkOrder)
)


def insert_cases(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the cases, return their ids in order. PostgreSQL: the ids are drawn from
    the table's sequence first (psycopg parses a multi-row VALUES statement of this width
    slowly) and the rows sent by COPY (``_copy_or_insert``); SQLite: a multi-row
    INSERT ... RETURNING (ids matched by number: the answer need not be in order)."""
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('cases', 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            )
        )
        for case_id, row in zip(ids, rows, strict=True):
            row["id"] = case_id
        _copy_or_insert(session, CASES, rows)
        return ids
    by_number: dict[str, int] = dict(
        session.execute(insert(CASES).returning(CASES.c.number, CASES.c.id), rows).all()
    )
    return [by_number[row["number"]] for row in rows]


def insert_imported(
    session: Session,
    units: list[dict[str, Any]],
    events: list[dict[str, Any]],
    register: list[dict[str, Any]],
) -> None:
    """The imported cases' units, their timeline events and their register rows."""
    _copy_or_insert(session, CASE_UNITS, units)
    _copy_or_insert(session, CASE_EVENTS, events)
    _copy_or_insert(session, REGISTER, register)


def _copy_or_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """A multi-row insert: PostgreSQL ``COPY ... FROM STDIN`` with the values bound as
    SQLAlchemy would bind them (the columns' bind processors, the Python-side
    defaults of the columns not given), elsewhere a Core executemany INSERT."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    given = list(rows[0])
    defaults = {}
    for col in table.c:
        if col.key in rows[0] or col.default is None:
            continue
        arg = getattr(col.default, "arg", None)
        if getattr(col.default, "is_scalar", False):
            defaults[col.key] = arg
        elif getattr(col.default, "is_callable", False) and callable(arg):
            defaults[col.key] = arg(None)
    names = [*given, *defaults]
    procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    fixed = list(defaults.values())
    quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    raw: Any = conn.connection.dbapi_connection
    statement = f"COPY {table.name} ({quoted}) FROM STDIN"
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                values = [row[n] for n in given] + fixed
                copy.write_row(
                    [
                        p(v) if p is not None and v is not None else v
                        for p, v in zip(procs, values, strict=True)
                    ]
                )
    except dialect.loaded_dbapi.IntegrityError as exc:
        # As SQLAlchemy would raise it (a concurrent import of the same orders: 409).
        raise IntegrityError(statement, None, exc) from exc


# --- 好差评 records -------------------------------------------------------------------------


def unit_codes_names(session: Session) -> dict[int, tuple[str, str]]:
    """Every unit's id → (code, name)."""
    return {d.id: (d.code, d.name) for d in session.scalars(select(Department))}


def matter_codes_names(session: Session) -> dict[int, tuple[str, str]]:
    """Every matter's id → (code, name)."""
    return {m.id: (m.code, m.name) for m in session.scalars(select(Matter))}


def hall_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Hall.id, Hall.name)).all())


def window_labels(session: Session) -> dict[int, str]:
    """Every service window's id → "N号 name"."""
    return {w.id: f"{w.number}号 {w.name}" for w in session.scalars(select(ServiceWindow))}


def rectification_of(session: Session, evaluation_id: int) -> Rectification | None:
    return session.scalar(select(Rectification).where(Rectification.evaluation_id == evaluation_id))


def bad_review_callback(session: Session, case_id: int, rnd: int) -> CallbackTask | None:
    """The callback task of a bad review of round ``rnd``."""
    return session.scalar(
        select(CallbackTask).where(
            CallbackTask.case_id == case_id,
            CallbackTask.reason == "bad_review",
            CallbackTask.round == rnd,
        )
    )


def evaluations_between(
    session: Session, principal: Principal, start: datetime, end: datetime
) -> Sequence[Row[Evaluation, Case]]:
    """(evaluation, case) of the evaluations given in [``start``, ``end``) on cases in the
    caller's scope, oldest first."""
    return session.execute(
        select(Evaluation, Case)
        .join(Case, Case.id == Evaluation.case_id)
        .where(
            and_(scope_clause(principal), Evaluation.created_at >= start),
            Evaluation.created_at < end,
        )
        .order_by(Evaluation.created_at, Evaluation.id)
    ).all()


def case(session: Session, case_id: int, *, lock: bool = False) -> Case | None:
    """A case by id (locked for update when ``lock``)."""
    return session.get(Case, case_id, with_for_update=True if lock else None)
