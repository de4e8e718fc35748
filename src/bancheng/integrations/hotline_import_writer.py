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

from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.cases.enums import OPEN_STATES, State
from bancheng.cases.numbering import allocate_number_block
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.crypto import get_crypto
from bancheng.insights.repository.rollup import mark_registered_days_dirty
from bancheng.integrations import repository
from bancheng.sla.calendar import load_calendar
from bancheng.sla.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from bancheng.integrations.hotline_import import RowResult


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
        ids = repository.insert_cases(self.session, rows)
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
        repository.insert_imported(self.session, units, events, register)
        self.registered.extend(r["registered_at"] for r in rows)

    def finish(self) -> None:
        """Mark the rollup's dirty days, as the ORM's flush would have (once per import)."""
        mark_registered_days_dirty(self.session, self.registered)
