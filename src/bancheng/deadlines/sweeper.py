"""The deadline sweeper: records each case's turn to yellow and to red once, urges the
responsible department (催办), and escalates cases overdue by more than K working days to
supervision. Set-based SQL: a few statements whatever the number of cases. Running it twice
writes nothing new. It is the job ``sla.sweep`` (``deadlines/jobs.py``): the job registry's lock
runs it once at a time across processes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_
from sqlalchemy.orm import Session

from bancheng.cases.case_clock import RUNNING
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.slots import Slot
from bancheng.deadlines import repository
from bancheng.sla.calendar import load_calendar

log = logging.getLogger("bancheng.sla")
FRESH_LIGHT = timedelta(days=1)

# Who hears of a sweep is notify's to decide (``notify.events.install_hooks``): the units,
# set-based (rows of department, case, title; the kind; the key prefix), and the people
# named on a case whose light turned (the case, the light, the tick's key).
unit_notices: Slot[Callable[[Session, Select[Any], str, str], None]] = Slot(
    "deadlines.sweeper.unit_notices"
)
light_notices: Slot[Callable[[Session, Case, str, str], None]] = Slot(
    "deadlines.sweeper.light_notices"
)


@dataclass
class SweepResult:
    ran: bool
    turned_yellow: int = 0
    turned_red: int = 0
    escalated: int = 0

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


@dataclass(frozen=True)
class _Step:
    """What a sweep step records of each matching case: an event (``action``) and a notice
    of ``kind`` to the case's ``department``, titled ``prefix`` + the case + ``suffix``."""

    action: str
    kind: str
    prefix: str
    suffix: str
    department: Any


_UNIT = Case.current_department_id
_RED = _Step("light_red", "overdue", "超期催办：", " 已超过办理时限", _UNIT)
_YELLOW = _Step("light_yellow", "due_soon", "预警催办：", " 即将到期", _UNIT)


def _escalation(k: int) -> _Step:
    """Overdue by more than ``k`` working days: to the department that first received it."""
    suffix = f" 超期{k}个工作日以上"
    return _Step(
        "escalate", "escalation", "超期升级督办：", suffix, Case.first_receipt_department_id
    )


def _record(session: Session, cond: ColumnElement[bool], step: _Step, now: datetime) -> int:
    """One event per matching case, and one notice to the step's department."""
    count = repository.count_cases(session, cond)
    if count == 0:
        return 0
    repository.add_system_events(session, cond, step.action, now)
    notices = repository.notice_rows(cond, step.department, step.prefix, step.suffix)
    unit_notices.get()(session, notices, step.kind, f"sla:{step.action}:{now.isoformat()}:")
    return count


def sweep(
    session: Session, settings: Settings | None = None, now: datetime | None = None
) -> SweepResult:
    settings = settings or get_settings()
    now = now or clock.now()
    # A follower merged into a master (并单) waits for it: no lights, no escalation.
    running = and_(Case.state.in_(sorted(RUNNING)), Case.merged_into_id.is_(None))
    result = SweepResult(ran=True)

    red = and_(running, Case.due_at <= now, Case.red_notified_at.is_(None))
    fresh = now - FRESH_LIGHT
    named_red = repository.cases_where(session, red, Case.due_at >= fresh)
    result.turned_red = _record(session, red, _RED, now)
    repository.mark_red(session, red, now)

    yellow = and_(
        running, Case.yellow_at <= now, Case.due_at > now, Case.yellow_notified_at.is_(None)
    )
    named_yellow = repository.cases_where(session, yellow, Case.yellow_at >= fresh)
    result.turned_yellow = _record(session, yellow, _YELLOW, now)
    repository.mark_yellow(session, yellow, now)

    _tell_people(session, named_red, named_yellow, now)

    k = settings.sla_escalate_after_workdays
    cal = load_calendar(session)
    today = clock.to_local(now).date()
    cutoff = cal.workday_back(today, k)  # overdue by more than k working days: due before it
    escalate = and_(
        running, Case.due_at <= now, Case.due_date < cutoff, Case.escalated_at.is_(None)
    )
    result.escalated = _record(session, escalate, _escalation(k), now)
    repository.mark_escalated(session, escalate, now)
    return result


def _tell_people(session: Session, red: list[Case], yellow: list[Case], now: datetime) -> None:
    """Named people hear of the lights that turned in this tick (the unit's inbox has the
    notice already): yellow to the assignee or the unit's handlers, red to the unit's lead.
    Lights that turned more than a day ago (a catch-up after downtime) are left to the
    inbox."""
    on_light = light_notices.get()
    key = now.isoformat()
    for case in red:
        on_light(session, case, "red", key)
    for case in yellow:
        on_light(session, case, "yellow", key)
