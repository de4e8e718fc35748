"""Every query of the case domain. Data scope is applied here, in ``scoped()``, and nowhere
else: endpoints and services never build their own visibility conditions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bancheng.cases.models import (
    Attachment,
    Case,
    CaseBlocker,
    CaseCoHandler,
    CaseDepartment,
    CaseEvent,
    CaseNumberCounter,
    DispatchObjection,
    IdempotencyKey,
)
from bancheng.cases.schemas import CaseFilter
from bancheng.core.clock import SHANGHAI
from bancheng.core.db import found
from bancheng.core.errors import NotFound
from bancheng.core.repository import in_id_order
from bancheng.org.models import Matter
from bancheng.org.scope import Principal, subtree_ids, visible_units
from bancheng.sla.models import DeadlineExtension


def scope_clause(principal: Principal) -> ColumnElement[bool]:
    """The cases the principal may see. Department scopes are one semi-join on
    ``case_departments`` (no OR: PostgreSQL plans it as an indexed semi-join, and the
    caller's own cases are in it because their unit is involved in them)."""
    units = visible_units(principal)
    if units is None:
        return true()
    if not units:  # the "self" scope: only the cases they registered or hold
        return or_(
            Case.first_receipt_user_id == principal.user_id, Case.assignee_id == principal.user_id
        )
    return exists().where(
        CaseDepartment.case_id == Case.id,
        CaseDepartment.department_id.in_(sorted(units)),
    )


def scoped(principal: Principal) -> Select[Case]:
    return select(Case).where(scope_clause(principal))


def get_case(session: Session, principal: Principal, case_id: int, *, lock: bool = False) -> Case:
    """The case if it is in the caller's scope; otherwise 404, whether or not it exists."""
    stmt = scoped(principal).where(Case.id == case_id)
    return found(session, stmt, NotFound("case.not_found", "案件不存在或无权查看"), lock=lock)


def _day_start(d: Any) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI)


def filter_conditions(session: Session, f: CaseFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if not f.include_merged:
        conds.append(Case.merged_into_id.is_(None))
    if f.state:
        conds.append(Case.state.in_([s.value for s in f.state]))
    if f.channel:
        conds.append(Case.channel.in_([c.value for c in f.channel]))
    if f.kind:
        conds.append(Case.kind.in_([k.value for k in f.kind]))
    if f.difficulty:
        conds.append(Case.difficulty.in_([d.value for d in f.difficulty]))
    if f.blocker_type:
        # Any of the case's blockers: the main one or a further one.
        wanted = [b.value for b in f.blocker_type]
        further = select(CaseBlocker.case_id).where(CaseBlocker.blocker_type.in_(wanted))
        conds.append(or_(Case.blocker_type.in_(wanted), Case.id.in_(further)))
    if f.nature:
        conds.append(Case.nature.in_([n.value for n in f.nature]))
    if f.department_id is not None:
        ids = subtree_ids(session, [f.department_id])
        conds.append(Case.current_department_id.in_(sorted(ids) or [-1]))
    if f.date_from:
        conds.append(Case.registered_at >= _day_start(f.date_from))
    if f.date_to:
        conds.append(Case.registered_at < _day_start(f.date_to) + timedelta(days=1))
    if f.light:
        from bancheng.cases.case_clock import light_condition
        from bancheng.core import clock

        now = clock.now()
        conds.append(or_(*[light_condition(x, now) for x in f.light]))
    if f.needs_supervision is not None:
        conds.append(Case.needs_supervision.is_(f.needs_supervision))
    if f.hotline_order_number:
        conds.append(Case.hotline_order_number == f.hotline_order_number.strip())
    if f.awaiting_reply_department_id is not None:
        units = subtree_ids(session, [f.awaiting_reply_department_id])
        conds.append(
            exists().where(
                CaseCoHandler.case_id == Case.id,
                CaseCoHandler.status == "pending",
                CaseCoHandler.department_id.in_(sorted(units) or [-1]),
            )
        )
    if f.bbox:
        from bancheng.core.errors import Invalid
        from bancheng.core.geo import BBox

        try:
            box = BBox.parse(f.bbox)
        except ValueError:
            raise Invalid(
                "case.bbox_invalid", "区域应为“最小经度,最小纬度,最大经度,最大纬度”", field="bbox"
            ) from None
        conds.append(Case.wgs84_lat.between(box.min_lat, box.max_lat))
        conds.append(Case.wgs84_lng.between(box.min_lng, box.max_lng))
    if f.address:
        conds.append(Case.address.ilike(_like(f.address), escape="\\"))
    if f.q:
        like = _like(f.q)
        conds.append(
            or_(
                Case.title.ilike(like, escape="\\"),
                Case.description.ilike(like, escape="\\"),
                Case.number.ilike(like, escape="\\"),
                Case.hotline_order_number.ilike(like, escape="\\"),
            )
        )
    return conds


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# The ledger counts matches up to this many and then says "more than": an exact count over
# a district's hundreds of thousands of cases would cost more than the page itself.
TOTAL_CAP = 1000


def list_cases(
    session: Session, principal: Principal, f: CaseFilter
) -> tuple[list[Case], int, bool]:
    """One page of the ledger, the number of matches (capped at ``TOTAL_CAP``), and
    whether the cap was hit."""
    conds = [scope_clause(principal), *filter_conditions(session, f)]
    where = and_(*conds)
    column = getattr(Case, f.sort)
    order = column.desc() if f.order == "desc" else column.asc()
    if column.nullable:
        # NULLS LAST only where NULLs exist: on NOT NULL columns it would stop PostgreSQL
        # from walking the index backwards for DESC.
        order = order.nulls_last()
    tiebreak = Case.id.desc() if f.order == "desc" else Case.id.asc()
    # Counted along the same ordered path as the page, so the planner walks the index.
    capped = select(Case.id).where(where).order_by(order, tiebreak).limit(TOTAL_CAP + 1)
    total = session.scalar(select(func.count()).select_from(capped.subquery())) or 0
    rows = session.scalars(
        select(Case)
        .where(where)
        .order_by(order, tiebreak)
        .offset((f.page - 1) * f.page_size)
        .limit(f.page_size)
    ).all()
    return list(rows), min(total, TOTAL_CAP), total > TOTAL_CAP


def count_cases(session: Session, principal: Principal, f: CaseFilter) -> int:
    where = and_(scope_clause(principal), *filter_conditions(session, f))
    return session.scalar(select(func.count()).select_from(Case).where(where)) or 0


def events(session: Session, case_id: int, public_only: bool = False) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
    if public_only:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return list(session.scalars(stmt.order_by(CaseEvent.at, CaseEvent.id)).all())


def attachments(session: Session, case_id: int) -> list[Attachment]:
    return in_id_order(session, Attachment, Attachment.case_id == case_id)


def attachment(session: Session, case: Case, attachment_id: int) -> Attachment:
    """An attachment of this case (already in the caller's scope); otherwise 404."""
    att = session.get(Attachment, attachment_id)
    if att is None or att.case_id != case.id:
        raise NotFound("attachment.not_found", "附件不存在")
    return att


def matter_of(session: Session, case: Case) -> Matter | None:
    return session.get(Matter, case.matter_id) if case.matter_id else None


def attachment_count(session: Session, case_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.case_id == case_id)
        )
        or 0
    )


def cases_by_phone_hash(
    session: Session, principal: Principal, phone_hash: str, limit: int = 20
) -> list[Case]:
    return list(
        session.scalars(
            scoped(principal)
            .where(Case.reporter_phone_hash == phone_hash)
            .order_by(Case.registered_at.desc())
            .limit(limit)
        ).all()
    )


def blocker_types(session: Session, cases: list[Case]) -> dict[int, list[str]]:
    """Every blocker of each case, the main one first, then the further ones by code."""
    out = {c.id: [c.blocker_type] for c in cases}
    if not out:
        return out
    rows = session.execute(
        select(CaseBlocker.case_id, CaseBlocker.blocker_type)
        .where(CaseBlocker.case_id.in_(sorted(out)))
        .order_by(CaseBlocker.case_id, CaseBlocker.blocker_type)
    )
    for case_id, blocker in rows:
        if blocker not in out[case_id]:
            out[case_id].append(blocker)
    return out


def set_blocker_types(session: Session, case: Case, types: list[str]) -> None:
    """Make ``types`` (the main one first, no repeats) the case's blockers."""
    case.blocker_type = types[0]
    session.execute(delete(CaseBlocker).where(CaseBlocker.case_id == case.id))
    for blocker in types[1:]:
        session.add(CaseBlocker(case_id=case.id, blocker_type=blocker))


def involve(session: Session, case_id: int, department_id: int) -> None:
    """Record that a unit has been involved with a case (idempotent)."""
    exists = session.get(CaseDepartment, (case_id, department_id))
    if exists is None:
        session.add(CaseDepartment(case_id=case_id, department_id=department_id))


def uninvolve(session: Session, case_id: int, department_id: int, *, keep: int) -> None:
    """Forget a unit's involvement (a recalled automatic dispatch), never ``keep``'s."""
    if department_id != keep:
        row = session.get(CaseDepartment, (case_id, department_id))
        if row is not None:
            session.delete(row)


def light_counts(session: Session, principal: Principal) -> list[tuple[int, str, int]]:
    """(current department, light, count) over the open cases in the caller's scope."""
    from bancheng.cases.case_clock import light_condition
    from bancheng.core import clock

    now = clock.now()
    out: list[tuple[int, str, int]] = []
    for light in ("green", "yellow", "red"):
        rows = session.execute(
            select(Case.current_department_id, func.count())
            .where(scope_clause(principal), light_condition(light, now))
            .group_by(Case.current_department_id)
        ).all()
        out.extend((dept, light, n) for dept, n in rows)
    return out


def lock_case_row(session: Session, case_id: int) -> None:
    """Take the case's row lock (``SELECT … FOR UPDATE``) for the rest of the transaction."""
    session.execute(select(Case.id).where(Case.id == case_id).with_for_update())


# -- co-handling (协办) and objections to a dispatch (退单) ---------------------------------


def co_handlers(session: Session, case_id: int) -> list[CaseCoHandler]:
    """The case's co-handling assignments, oldest first."""
    return in_id_order(session, CaseCoHandler, CaseCoHandler.case_id == case_id)


def objections(session: Session, case_id: int) -> list[DispatchObjection]:
    """The case's objections to a dispatch, oldest first."""
    return in_id_order(session, DispatchObjection, DispatchObjection.case_id == case_id)


def pending_objection(session: Session, case_id: int) -> DispatchObjection | None:
    """The case's objection still to be decided, if any."""
    return session.scalar(
        select(DispatchObjection).where(
            DispatchObjection.case_id == case_id, DispatchObjection.status == "pending"
        )
    )


# -- deadline extensions (延期) -------------------------------------------------------------


def pending_extension(session: Session, case_id: int) -> DeadlineExtension | None:
    """The case's extension request still to be decided, if any."""
    return session.scalar(
        select(DeadlineExtension).where(
            DeadlineExtension.case_id == case_id, DeadlineExtension.status == "pending"
        )
    )


def extensions(session: Session, case_id: int) -> list[DeadlineExtension]:
    """The case's extension requests, oldest first."""
    return in_id_order(session, DeadlineExtension, DeadlineExtension.case_id == case_id)


# -- registration --


def idempotency_claim(session: Session, key: str, user_id: int | None) -> IdempotencyKey | None:
    """The claim of an ``Idempotency-Key`` by this caller, if any."""
    return session.get(IdempotencyKey, (key, str(user_id)))


def case_by_id(session: Session, case_id: int | None) -> Case | None:
    """A case by its id, without data scope (for the caller's own replay)."""
    return session.get(Case, case_id)


def row_by_id(session: Session, model: Any, ident: int) -> Any:
    """A row of ``model`` by primary key (the registration's references: hall, window,
    matter, department)."""
    return session.get(model, ident)


# -- numbering (cases/numbering.py) --


_COUNTER: Any = CaseNumberCounter.__table__
# The hot path's statements, built once: each execution only binds its values.
_BUMP = (
    update(_COUNTER)
    .where(_COUNTER.c.jurisdiction == bindparam("b_j"), _COUNTER.c.year == bindparam("b_y"))
    .values(last_seq=_COUNTER.c.last_seq + bindparam("b_n", type_=Integer))
    .returning(_COUNTER.c.last_seq)
)
_CASES: Any = Case.__table__
_WRITE_NUMBER = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("b_id"))
    .values(seq=bindparam("b_seq"), number=bindparam("b_number"))
)


def bump_counter(session: Session, jurisdiction: str, year: int, n: int) -> int:
    """Add ``n`` to the (jurisdiction, year) counter, creating its row when missing, and
    return its new last number. The UPDATE takes the counter's row lock (PostgreSQL) or
    the write lock (SQLite) until the transaction ends."""
    conn = session.connection()  # Core: the hot path's statement, no ORM bulk update
    params = {"b_j": jurisdiction, "b_y": year, "b_n": n}
    last = conn.execute(_BUMP, params).scalar()
    if last is None:
        ins_mod: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(
            ins_mod.insert(_COUNTER)
            .values(jurisdiction=jurisdiction, year=year, last_seq=0)
            .on_conflict_do_nothing()
        )
        last = conn.execute(_BUMP, params).scalar()
    assert last is not None
    return int(last)


def write_number(session: Session, case_id: int, seq: int, number: str) -> None:
    """Give the case its number with a Core UPDATE: numbering is not a change of the case
    (its version stays)."""
    params = {"b_id": case_id, "b_seq": seq, "b_number": number}
    session.connection().execute(_WRITE_NUMBER, params)
