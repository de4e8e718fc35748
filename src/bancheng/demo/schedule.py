"""Stage 2 of the demo: the instants of each case's registration and steps, inside the
halls' opening hours on working days of the SLA calendar (``bancheng.sla``), all before
"now"."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bancheng.core.clock import SHANGHAI
from bancheng.demo.plan import SPAN_DAYS, Plan
from bancheng.sla.workdays import WorkdayCalendar

# The halls' opening hours (not the SLA's office hours, which count working-hour limits).
OPEN = time(8, 30)
CLOSE = time(17, 30)
OFFICE_MINUTES = (CLOSE.hour - OPEN.hour) * 60 + CLOSE.minute - OPEN.minute


def _office(cal: WorkdayCalendar, instant: datetime) -> datetime:
    """The instant if it falls in opening hours, else the next opening (plus a little)."""
    local = instant.astimezone(SHANGHAI)
    jitter = timedelta(minutes=(local.minute * 7 + local.hour * 13 + local.day * 5) % 95)
    day = local.date()
    if cal.is_workday(day):
        if local < datetime.combine(day, OPEN, SHANGHAI):
            return (datetime.combine(day, OPEN, SHANGHAI) + jitter).astimezone(UTC)
        if local <= datetime.combine(day, CLOSE, SHANGHAI):
            return local.astimezone(UTC)
    opening = datetime.combine(cal.next_workday(day), OPEN, SHANGHAI)
    return (opening + jitter).astimezone(UTC)


def _registration(cal: WorkdayCalendar, now: datetime, age_days: float) -> datetime:
    """The registration instant of a case ``age_days`` (calendar days) old, spread evenly
    over the opening hours of working days: weekends and holidays get no registrations.
    No further back than the working days of the last ``3 * SPAN_DAYS`` days."""
    today = now.astimezone(SHANGHAI).date()
    position = age_days * 5 / 7  # in working days
    oldest = cal.next_workday(today - timedelta(days=SPAN_DAYS * 3 - 1), include_today=True)
    day = max(cal.workday_back(today, int(position)), oldest)
    minutes = int((position - int(position)) * OFFICE_MINUTES)
    local = datetime.combine(day, OPEN, SHANGHAI) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def schedule(cal: WorkdayCalendar, plan: Plan, now: datetime) -> list[datetime]:
    """Registration and step instants, in opening hours, all before ``now``."""
    limit = now - timedelta(minutes=2)
    age = plan.age_days
    times: list[datetime] = []
    for _ in range(100):
        t = _registration(cal, now, age)
        times = [t]
        for step in plan.steps:
            t = _office(cal, t + timedelta(minutes=step.delay))
            times.append(t)
        if times[-1] <= limit:
            return times
        age += (times[-1] - limit).total_seconds() / 86400 + 0.05
    # Could not fit in opening hours: keep the raw delays.
    t = now - timedelta(days=age)
    times = [t]
    for step in plan.steps:
        t = t + timedelta(minutes=step.delay)
        times.append(t)
    return times
