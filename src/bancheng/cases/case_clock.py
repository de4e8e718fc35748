"""The clock of a case: its deadlines, pauses, extensions and light.

- The clock starts at registration (受理) and restarts when a case is reopened.
- While the case is suspended for the reporter's materials (补正) it is paused: on resume
  the office time of the pause is added (``paused_seconds``), and it survives
  reclassification.
- An approved extension adds working days (``extension_workdays``) after the policy's
  deadline.
- Reclassification recomputes everything from the original start with the new policy.
- The light is a pure function of two stored instants, ``yellow_at`` and ``due_at``, so the
  ledger can filter by light in SQL without waiting for the sweeper. A suspended case
  keeps the light it had when it was suspended.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import Session

from bancheng.cases.enums import OPEN_STATES, State
from bancheng.cases.models import RUNNING_STATES, Case
from bancheng.core.clock import SHANGHAI
from bancheng.core.errors import DomainError
from bancheng.sla.calendar import load_calendar
from bancheng.sla.policies import (
    PolicyRow,
    active_policies,
    department_chain,
    find_policy,
    select_policy,
)
from bancheng.sla.workdays import Deadline, WorkdayCalendar, local_date

Light = Literal["green", "yellow", "red"]
# Open cases whose clock runs (a suspended case's clock is paused).
RUNNING = frozenset(s.value for s in OPEN_STATES - {State.suspended})
assert tuple(sorted(RUNNING)) == RUNNING_STATES  # the sweeper's partial indexes match
SUSPENDED = State.suspended.value


_TICK = timedelta(microseconds=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def deadline_fields(
    policy: PolicyRow | None,
    cal: WorkdayCalendar,
    *,
    start: datetime,
    fixed_due_at: datetime | None,
    paused_seconds: float = 0.0,
    extension_workdays: int = 0,
) -> dict[str, Any]:
    """The response deadline, the resolution deadline and the yellow instant of a clock
    started at ``start``. Pure: the one deadline rule, for one case or a bulk import.

    A deadline fixed from outside (``fixed_due_at``, a 12345 order's time limit) replaces
    the policy's resolution deadline; pauses and approved extensions move it the same way.
    Without a policy such a case has no response deadline."""
    assert policy is not None or fixed_due_at is not None
    if paused_seconds > 0:
        start = cal.add_working_seconds(start, paused_seconds).due_at
    response = cal.add(start, policy.response_limit, policy.response_unit) if policy else None
    if fixed_due_at is not None:
        fixed = fixed_due_at
        base = (
            cal.add_working_seconds(fixed, paused_seconds)
            if paused_seconds > 0
            # due_at is exclusive: a deadline at midnight belongs to the day before.
            else Deadline(local_date(fixed - _TICK), bool(cal.unknown_years(fixed, fixed)), fixed)
        )
    else:
        assert policy is not None
        base = cal.add(start, policy.resolution_limit, policy.resolution_unit)
    provisional = (response.provisional if response else False) or base.provisional
    due = base
    if extension_workdays > 0:
        due = cal.add_workdays(base.date, extension_workdays)
        provisional = provisional or due.provisional
    if fixed_due_at is not None or policy is None:
        # An outside deadline turns yellow on its last working day.
        last = cal.workday_back(due.date, 0)
        yellow = min(due.due_at, max(start, _midnight(last)))
    else:
        yellow = _yellow_at(policy, cal, start, due.date, due.due_at, extension_workdays)
    return {
        "response_due_at": response.due_at if response else None,
        "due_date": due.date,
        "due_at": due.due_at,
        "deadline_provisional": provisional,
        "yellow_at": yellow,
    }


NO_DEADLINE: dict[str, Any] = {
    "response_due_at": None,
    "due_at": None,
    "yellow_at": None,
    "due_date": None,
    "deadline_provisional": False,
}


def clock_fields(
    policy: PolicyRow | None,
    cal: WorkdayCalendar | None,
    *,
    start: datetime,
    fixed_due_at: datetime | None,
    paused_seconds: float = 0.0,
    extension_workdays: int = 0,
) -> dict[str, Any]:
    """What ``recompute`` stores for a clock under ``policy`` (``None``: no active policy
    matched): the policy and the deadlines, or no deadline at all. ``cal`` may be ``None``
    only when there is no deadline."""
    fields: dict[str, Any] = {"sla_policy_id": policy.id if policy else None}
    if policy is None and fixed_due_at is None:
        return fields | NO_DEADLINE
    assert cal is not None
    return fields | deadline_fields(
        policy,
        cal,
        start=start,
        fixed_due_at=fixed_due_at,
        paused_seconds=paused_seconds,
        extension_workdays=extension_workdays,
    )


def _yellow_at(
    policy: PolicyRow,
    cal: WorkdayCalendar,
    start: datetime,
    due_date: date,
    due_at: datetime,
    extension: int,
) -> datetime:
    if policy.yellow_remaining is None and policy.yellow_fraction is None:
        return due_at
    if policy.resolution_unit == "working_days":
        total = int(policy.resolution_limit) + extension
        back = []
        if policy.yellow_remaining is not None:
            back.append(int(policy.yellow_remaining))
        if policy.yellow_fraction is not None:
            back.append(math.floor(total * (1 - policy.yellow_fraction)))
        r = max(back)
        if r >= total:
            return start
        return max(start, _midnight(cal.workday_back(due_date, r)))
    span = due_at - start
    candidates = []
    if policy.yellow_remaining is not None:
        candidates.append(due_at - timedelta(hours=policy.yellow_remaining))
    if policy.yellow_fraction is not None:
        candidates.append(start + span * policy.yellow_fraction)
    return max(start, min(candidates))


def _policy_for(session: Session, case: Case) -> PolicyRow | None:
    try:
        return find_policy(
            session,
            kind=case.kind,
            difficulty=case.difficulty,
            channel=case.channel,
            department_id=case.first_receipt_department_id,
        )
    except DomainError:
        return None  # no active policy: the case has no deadline rather than no registration


class PolicyChooser:
    """``_policy_for`` for many new cases (a bulk import): the active policies are read
    once and the choice (``select_policy``, the rule ``find_policy`` applies) is cached per
    (kind, difficulty, channel, receiving unit)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._policies = active_policies(session)
        self._chosen: dict[tuple[str, str, str, int | None], PolicyRow | None] = {}

    def __call__(
        self, kind: str, difficulty: str, channel: str, department_id: int | None
    ) -> PolicyRow | None:
        key = (kind, difficulty, channel, department_id)
        if key not in self._chosen:
            try:
                chain = department_chain(self._session, department_id)
            except DomainError:
                self._chosen[key] = None
            else:
                self._chosen[key] = select_policy(
                    self._policies,
                    kind=kind,
                    difficulty=difficulty,
                    channel=channel,
                    department_chain=chain,
                )
        return self._chosen[key]


def start_clock(session: Session, case: Case, now: datetime) -> None:
    case.clock_started_at = now
    case.paused_seconds = 0.0
    case.extension_workdays = 0
    case.suspended_at = None
    case.frozen_light = None
    recompute(session, case)


def recompute(session: Session, case: Case) -> None:
    """Deadlines from the original start under the policy the case's class selects now
    (after reclassification, a policy change, or a calendar import)."""
    if case.clock_started_at is None:
        return
    policy = _policy_for(session, case)
    old_due = case.due_at
    has_deadline = policy is not None or case.fixed_due_at is not None
    fields = clock_fields(
        policy,
        load_calendar(session) if has_deadline else None,
        start=case.clock_started_at,
        fixed_due_at=case.fixed_due_at,
        paused_seconds=case.paused_seconds,
        extension_workdays=case.extension_workdays,
    )
    for name, value in fields.items():
        setattr(case, name, value)
    if not has_deadline:
        return
    if old_due is not None and case.due_at != old_due:
        # A moved deadline may light the case again later; let the sweeper record it then.
        case.red_notified_at = None
        if case.yellow_at and old_due and case.yellow_at > old_due:
            case.yellow_notified_at = None


def suspend(case: Case, now: datetime) -> None:
    case.frozen_light = light_at(case, now)
    case.suspended_at = now


def resume(session: Session, case: Case, now: datetime) -> float:
    """Add the office time of the pause; returns it in seconds."""
    paused = 0.0
    if case.suspended_at is not None:
        cal = load_calendar(session)
        paused = max(0.0, cal.working_seconds_between(case.suspended_at, now).seconds)
        case.paused_seconds += paused
    case.suspended_at = None
    case.frozen_light = None
    if paused > 0:
        recompute(session, case)
    return paused


def light_at(case: Case, now: datetime) -> Light | None:
    """The light of an open case at ``now``; ``None`` for cases that are not open or have
    no deadline, and for a follower merged into a master (并单)."""
    if case.merged_into_id is not None:
        return None
    if case.state == SUSPENDED:
        return case.frozen_light  # type: ignore[return-value]
    if case.state not in RUNNING or case.due_at is None:
        return None
    if now >= case.due_at:
        return "red"
    if case.yellow_at is not None and now >= case.yellow_at:
        return "yellow"
    return "green"


def light_condition(light: str, now: datetime) -> ColumnElement[bool]:
    """The SQL condition equivalent to ``light_at(case, now) == light``."""
    running = Case.state.in_(sorted(RUNNING))
    frozen = and_(Case.state == SUSPENDED, Case.frozen_light == light)
    if light == "red":
        live = and_(running, Case.due_at <= now)
    elif light == "yellow":
        live = and_(running, Case.due_at > now, Case.yellow_at <= now)
    elif light == "green":
        live = and_(running, Case.due_at > now, or_(Case.yellow_at.is_(None), Case.yellow_at > now))
    else:
        return false()
    # A follower merged into a master (并单) has no light of its own.
    return and_(or_(live, frozen), Case.merged_into_id.is_(None))
