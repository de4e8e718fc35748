"""The 12345 work-order import, part two: the batch writer. Validated rows are written in
batches: one number block per (jurisdiction, year) per batch
(``cases.numbering.allocate_number_block``, numbers consecutive in file order within the
year the case was registered), multi-row INSERTs (PostgreSQL: COPY) of the cases, their
units, their timeline event ``import`` and the register rows in ``imported_work_orders``.
Open orders get their deadlines from the one rule (``cases.case_clock.clock_fields``) with
the calendar and the active policies read once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.cases.enums import OPEN_STATES, State
from bancheng.cases.models import Case, CaseDepartment, CaseEvent
from bancheng.cases.numbering import allocate_number_block
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.crypto import get_crypto
from bancheng.insights.models import ImportedWorkOrder
from bancheng.insights.repository.rollup import mark_days_dirty
from bancheng.sla.calendar import load_calendar
from bancheng.sla.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from bancheng.integrations.hotline_import import RowResult


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


CASES, CASE_UNITS, CASE_EVENTS, REGISTER = (
    _table(m) for m in (Case, CaseDepartment, CaseEvent, ImportedWorkOrder)
)


class BatchWriter:
    """Writes validated rows in batches; what it reads (the calendar, the policies, the
    key) is read once per import."""

    def __init__(self, session: Session, settings: Settings, source: str, dept: int) -> None:
        self.session = session
        self.jurisdiction = settings.jurisdiction_code
        self.source = source
        self.dept = dept
        self.now = clock.now()
        self.crypto = get_crypto()
        self.choose = case_clock.PolicyChooser(session)
        self._calendar: WorkdayCalendar | None = None
        self.registered: list[datetime] = []

    def calendar(self) -> WorkdayCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session)
        return self._calendar

    def _case_row(self, v: dict[str, Any], seq: int, number: str) -> dict[str, Any]:
        registered = v["registered_at"]
        current = v["department_id"] or self.dept
        row: dict[str, Any] = {
            "number": number,
            "jurisdiction": self.jurisdiction,
            "year": registered.year,
            "seq": seq,
            "state": v["state"],
            "channel": v["channel"],
            "kind": v["kind"],
            "difficulty": v["difficulty"],
            "blocker_type": v["blocker_type"],
            "title": v["title"],
            "description": v["description"],
            "reporter_type": v["reporter_type"],
            "reporter_name": v["reporter_name"],
            "reporter_phone_enc": self.crypto.encrypt(v["phone"]),
            "reporter_phone_hash": self.crypto.lookup_hash(v["phone"]),
            "reporter_phone_masked": v["phone_masked"],
            "reporter_org_name": v["reporter_org_name"],
            "matter_id": v["matter_id"],
            "stuck_department_id": v["matter_department_id"],
            "hall_id": v["hall_id"],
            "first_receipt_department_id": self.dept,
            "current_department_id": current,
            "transfer_count": v["transfer_count"],
            "return_count": v["return_count"],
            "resolved_on_spot": v["resolved_on_spot"],
            "resolution": v["resolution"],
            "outcome": "done" if v["resolved_at"] else None,
            "rating": v["rating"],
            "hotline_order_number": v["hotline_order_number"],
            "registered_at": registered,
            "resolved_at": v["resolved_at"],
            "closed_at": v["resolved_at"] if v["state"] == State.closed.value else None,
            "updated_at": self.now,
            "paused_seconds": 0.0,
            "extension_workdays": 0,
            "suspended_from": None,
            "suspended_at": None,
        }
        if State(v["state"]) in OPEN_STATES:
            # An open order runs on the clock like any case: from its registration, to the
            # order's own deadline when the file gives one, else to the matching policy's.
            policy = self.choose(v["kind"], v["difficulty"], v["channel"], self.dept)
            has_deadline = policy is not None or v["due_at"] is not None
            row["fixed_due_at"] = v["due_at"]
            row["clock_started_at"] = registered
            if v["state"] == State.suspended.value:
                row["suspended_from"] = State.in_progress.value
                row["suspended_at"] = self.now
            row |= case_clock.clock_fields(
                policy,
                self.calendar() if has_deadline else None,
                start=registered,
                fixed_due_at=v["due_at"],
            )
        else:
            row |= case_clock.NO_DEADLINE | {"sla_policy_id": None}
            row["fixed_due_at"] = None
            row["clock_started_at"] = None
            row["due_at"] = v["due_at"]
            row["due_date"] = clock.to_local(v["due_at"]).date() if v["due_at"] else None
        return row

    def _insert_cases(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the cases, return their ids in order. PostgreSQL: the ids are drawn from
        the table's sequence first (psycopg
        parses a multi-row VALUES statement of this width slowly) and the rows sent by
        COPY (``_insert``); SQLite: a multi-row
        INSERT ... RETURNING (ids matched by number: the answer need not be in order)."""
        if self.session.get_bind().dialect.name == "postgresql":
            ids = list(
                self.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('cases', 'id'))"
                        " FROM generate_series(1, :n)"
                    ),
                    {"n": len(rows)},
                )
            )
            for case_id, row in zip(ids, rows, strict=True):
                row["id"] = case_id
            self._insert(CASES, rows)
            return ids
        by_number: dict[str, int] = dict(
            self.session.execute(insert(CASES).returning(CASES.c.number, CASES.c.id), rows).all()
        )
        return [by_number[row["number"]] for row in rows]

    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """A multi-row insert: PostgreSQL ``COPY ... FROM STDIN`` with the values bound as
        SQLAlchemy would bind them (the columns' bind processors, the Python-side
        defaults of the columns not given), elsewhere a Core executemany INSERT."""
        if not rows:
            return
        conn = self.session.connection()
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

    def write(self, batch: list[tuple[RowResult, dict[str, Any]]]) -> None:
        """One batch: a number block per year, then one multi-row INSERT per table."""
        by_year: dict[int, list[int]] = {}
        for i, (_, v) in enumerate(batch):
            by_year.setdefault(v["registered_at"].year, []).append(i)
        numbers: list[tuple[int, str]] = [(0, "")] * len(batch)
        for year, where in by_year.items():
            block = allocate_number_block(self.session, self.jurisdiction, year, len(where))
            for i, taken in zip(where, block, strict=True):
                numbers[i] = taken
        rows = [self._case_row(v, *numbers[i]) for i, (_, v) in enumerate(batch)]
        ids = self._insert_cases(rows)
        units, events, register = [], [], []
        for case_id, row, (result, v) in zip(ids, rows, batch, strict=True):
            for d in sorted({row["first_receipt_department_id"], row["current_department_id"]}):
                units.append({"case_id": case_id, "department_id": d})
            events.append(
                {
                    "case_id": case_id,
                    "at": self.now,
                    "action": "import",
                    "from_state": None,
                    "to_state": v["state"],
                    "actor_id": None,
                    "actor_name": "数据导入",
                    "actor_department_id": None,
                    "reason": None,
                    "details": {"source": self.source, "external_id": v["external_id"]},
                    "public": False,
                }
            )
            register.append(
                {
                    "source": self.source,
                    "external_id": v["external_id"],
                    "case_id": case_id,
                    "imported_at": self.now,
                }
            )
            result.status = "imported"
            result.number = row["number"]
        self._insert(CASE_UNITS, units)
        self._insert(CASE_EVENTS, events)
        self._insert(REGISTER, register)
        self.registered.extend(r["registered_at"] for r in rows)

    def finish(self) -> None:
        """Mark the rollup's dirty days, as the ORM's flush would have (once per import)."""
        mark_days_dirty(self.session.connection(), self.registered)
