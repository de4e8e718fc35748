"""The statements that keep the rollup (``case_daily_stats``) current, run by
``insights.service.refresh``: recomputing days inside the database, the days marked dirty
by the flush listener (``insights/marking.py``) and the bulk import, the days of open
cases that went overdue, the refresher's lock and the rollup's state. The counters and
dimensions are those of ``insights/repository/__init__.py``."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.insights.models import COUNTERS, CaseDailyStat, RollupDirtyDay, RollupState
from bancheng.insights.repository import (
    CASE_DIM,
    COUNTED,
    DIMENSIONS,
    OPEN_STATES,
    as_date,
    counter_columns,
    day_start,
    local_day,
    rollup_state,
    scope_pairs,
)

# Per-statement scratch: the counters of each (day, scope, every dimension) combination,
# from which each dimension's rows are summed. A temporary table: per connection, never
# in the schema, nothing shared between transactions.
_SCRATCH = Table(
    "insights_rollup_scratch",
    MetaData(),
    Column("day", Date),
    Column("scope", String(24)),
    Column("department", Integer),
    Column("hall", Integer),
    Column("channel", String(32)),
    Column("kind", String(32)),
    Column("blocker_type", String(32)),
    Column("matter", Integer),
    Column("difficulty", String(32)),
    Column("nature", String(32)),
    *(Column(c, Integer) for c in COUNTERS),
    prefixes=["TEMPORARY"],
)
# Full rebuilds go a month at a time: the scratch holds one month's (case, scope) groups.
CHUNK_DAYS = 31


def _in_days(day_from: date, day_to: date) -> list[ColumnElement[bool]]:
    return [
        Case.registered_at >= day_start(day_from),
        Case.registered_at < day_start(day_to + timedelta(days=1)),
        COUNTED,
    ]


def rebuild_days(session: Session, day_from: date, day_to: date) -> int:
    """Recompute the rollup for ``day_from..day_to``, every scope, inside the database
    (``INSERT ... SELECT``: nothing passes through Python). Two grouped scans of the cases
    — everything, and the (case, scope) pairs — by every dimension at once into a scratch
    table, then one small sum per dimension. Returns the rows written."""
    session.execute(
        delete(CaseDailyStat).where(CaseDailyStat.day >= day_from, CaseDailyStat.day <= day_to)
    )
    session.execute(CreateTable(_SCRATCH, if_not_exists=True))
    written = 0
    start = day_from
    while start <= day_to:
        end = min(day_to, start + timedelta(days=CHUNK_DAYS - 1))
        written += _rebuild_chunk(session, start, end)
        start = end + timedelta(days=1)
    return written


def _rebuild_chunk(session: Session, day_from: date, day_to: date) -> int:
    session.execute(delete(_SCRATCH))
    window = _in_days(day_from, day_to)
    day = local_day(session, Case.registered_at)
    dims = [CASE_DIM[d] for d in DIMENSIONS]
    scratch_cols = ["day", "scope", *DIMENSIONS, *COUNTERS]
    everything = (
        select(day, literal("*"), *dims, *counter_columns(clock.now()))
        .where(*window)
        .group_by(day, *dims)
    )
    pairs = scope_pairs(window)
    scoped = (
        select(day, pairs.c.scope, *dims, *counter_columns(clock.now()))
        .select_from(Case)
        .join(pairs, pairs.c.case_id == Case.id)
        .where(*window)
        .group_by(day, pairs.c.scope, *dims)
    )
    for stmt in (everything, scoped):
        session.execute(insert(_SCRATCH).from_select(scratch_cols, stmt))
    names = ["day", "scope", "dimension", "key", *COUNTERS]
    sums = [func.sum(_SCRATCH.c[c]) for c in COUNTERS]
    written = 0
    for dim in ("all", *DIMENSIONS):
        col = _SCRATCH.c[dim] if dim != "all" else None
        key = literal("") if col is None else cast(col, String)
        groups = [] if col is None else [col]
        stmt = select(_SCRATCH.c.day, _SCRATCH.c.scope, literal(dim), key, *sums).group_by(
            _SCRATCH.c.day, _SCRATCH.c.scope, *groups
        )
        result = session.execute(insert(CaseDailyStat).from_select(names, stmt))
        written += max(int(getattr(result, "rowcount", 0) or 0), 0)
    session.execute(delete(_SCRATCH))
    return written


def claim_dirty_days(session: Session) -> set[date]:
    """Take the marked days off the list (each recomputed by the caller in this
    transaction). On PostgreSQL the DELETE waits for a marking transaction still open."""
    days = session.scalars(delete(RollupDirtyDay).returning(RollupDirtyDay.day)).all()
    return {as_date(d) for d in days}


def turned_overdue_days(session: Session, since: datetime, now: datetime) -> set[date]:
    """Registration days of open cases whose deadline passed in ``(since, now]``: their
    ``overdue`` counter changed without the case being written."""
    day = local_day(session, Case.registered_at)
    stmt = (
        select(day)
        .where(Case.state.in_(OPEN_STATES), Case.due_at > since, Case.due_at <= now)
        .distinct()
    )
    return {as_date(d) for d in session.scalars(stmt)}


def first_case_day(session: Session) -> date | None:
    """The (Beijing) day the first case was registered, if there is one."""
    first = session.scalar(select(func.min(Case.registered_at)))
    return clock.to_local(first).date() if first else None


def mark_refreshed(session: Session, complete_before: date, now: datetime, full: bool) -> None:
    """The rollup is complete before ``complete_before`` as of ``now`` (``full``: rebuilt)."""
    state = rollup_state(session)
    if state is None:
        session.add(
            RollupState(id=1, complete_before=complete_before, built_at=now, refreshed_at=now)
        )
    else:
        state.complete_before = max(state.complete_before, complete_before)
        state.refreshed_at = now
        if full:
            state.built_at = now
    session.flush()


def try_refresh_lock(session: Session, key: int) -> bool:
    """On PostgreSQL: the transaction's advisory lock ``key`` (False when another
    refresher holds it), and room in memory for the grouping's sorts; elsewhere True."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    got = session.execute(select(func.pg_try_advisory_xact_lock(key)))
    if not got.scalar():
        return False
    # The grouping sorts a day's (case, scope) pairs: keep them in memory.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    return True


# --- marking the days whose cases changed ----------------------------------------------


def registered_at_of(conn: Connection, case_ids: Collection[int]) -> list[datetime]:
    """When the cases ``case_ids`` were registered (read on the flush's connection)."""
    return list(conn.scalars(select(Case.registered_at).where(Case.id.in_(sorted(case_ids)))).all())


def mark_days_dirty(conn: Connection, instants: Iterable[datetime]) -> None:
    """Put the registration days of ``instants`` (before today) on ``insights_dirty_days``;
    for writers that bypass the ORM's flush (the bulk import's multi-row inserts)."""
    today = clock.local_today()
    days = sorted({d for d in (clock.to_local(i).date() for i in instants) if d < today})
    if not days:
        return
    ins: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = ins(RollupDirtyDay).values([{"day": d, "marks": 1} for d in days])
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["day"], set_={"marks": RollupDirtyDay.marks + 1})
    )
