"""Office hours and the counting rules of time limits (settings ``office_hours``,
``calendar_count_from_next_day``): the parameters of ``sla/workdays.py``'s arithmetic.
Pure: no database, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bancheng.core.errors import Invalid


@dataclass(frozen=True)
class OfficeHours:
    """The office intervals of every working day, local wall-clock time.

    ``"09:00-12:00,13:30-17:30"`` is seven office hours a day. Intervals must be ordered
    and must not overlap; ``24:00`` is allowed as the end of the last one.
    """

    intervals: tuple[tuple[int, int], ...]  # (start, end) seconds after local midnight

    @classmethod
    def parse(cls, spec: str) -> OfficeHours:
        parts = [p.strip() for p in spec.split(",") if p.strip()]
        if not parts:
            raise Invalid("calendar.invalid_office_hours", f"办公时间为空: {spec!r}")
        intervals: list[tuple[int, int]] = []
        for part in parts:
            m = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", part)
            if m is None:
                raise Invalid("calendar.invalid_office_hours", f"办公时间格式不正确: {part!r}")
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
            if m1 > 59 or m2 > 59 or h1 > 23 or end > 86400 or start >= end:
                raise Invalid("calendar.invalid_office_hours", f"办公时间不合理: {part!r}")
            if intervals and start < intervals[-1][1]:
                raise Invalid("calendar.invalid_office_hours", f"办公时间重叠或乱序: {spec!r}")
            intervals.append((start, end))
        return cls(tuple(intervals))

    @property
    def seconds_per_day(self) -> int:
        return sum(end - start for start, end in self.intervals)

    def elapsed(self, second_of_day: float) -> float:
        """Office seconds of one working day that lie before ``second_of_day``."""
        total = 0.0
        for start, end in self.intervals:
            if second_of_day <= start:
                break
            total += min(second_of_day, end) - start
        return total

    def wall_second(self, office_seconds: float) -> float:
        """The wall-clock second of day at which ``office_seconds`` (in (0, day]) are used.

        Exactly at the end of an interval the answer is that end (12:00, not 13:30).
        """
        remaining = office_seconds
        for start, end in self.intervals:
            length = end - start
            if remaining <= length:
                return start + remaining
            remaining -= length
        return float(self.intervals[-1][1])

    def __str__(self) -> str:
        def hhmm(s: int) -> str:
            return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

        return ",".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in self.intervals)


DEFAULT_OFFICE_HOURS = OfficeHours.parse("09:00-12:00,13:30-17:30")


@dataclass(frozen=True)
class WorkdayRules:
    """How limits are counted (settings ``calendar_count_from_next_day``, ``office_hours``).

    ``count_from_next_day=True`` (the default, and the usual reading of "N 个工作日内办结"):
    the day of acceptance does not count; day 1 is the first working day after it.
    ``False``: the day of acceptance is day 1 when it is a working day.
    """

    count_from_next_day: bool = True
    office_hours: OfficeHours = field(default_factory=lambda: DEFAULT_OFFICE_HOURS)
