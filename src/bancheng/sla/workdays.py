"""Working-day arithmetic in constant time. Pure: no database, no I/O.

A :class:`WorkdayCalendar` covers every day from :data:`INDEX_START` to :data:`INDEX_END`.
It is built once from the days the State Council arrangement declares (holidays and
make-up working days, or every day of a year) for the years that are *known*; any other
year falls back to Monday–Friday, and every result that touches such a year says so with
``provisional=True``.

Three arrays make each computation a handful of list look-ups, with no loop over days:

* ``cum[i]``: working days strictly before day ``i`` (a prefix sum, ``len = days + 1``);
* ``nth[k]``: the day index of the ``k``-th working day (0-based);
* ``unknown[i]``: days strictly before day ``i`` that lie in a year without data.

So "the N-th working day after day ``i``" is ``nth[cum[i + 1] + N - 1]``, "working days
in (a, b]" is ``cum[b + 1] - cum[a + 1]`` and "does [a, b] touch an unknown year" is
``unknown[b + 1] - unknown[a] > 0``. Working hours use the same arrays, with a working day
worth a fixed number of office seconds (``sla/office_hours.py``).

Day indices are local (Asia/Shanghai) calendar dates. Instants passed in must be
timezone-aware (naive ones are taken as UTC, like :func:`bancheng.core.clock.to_local`);
instants returned are aware UTC.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from bancheng.core.clock import SHANGHAI
from bancheng.core.errors import Invalid
from bancheng.sla.office_hours import WorkdayRules

# Years an arrangement may be given for (imports outside are refused).
MIN_YEAR = 1990
MAX_YEAR = 2100
# The index runs a few years past MAX_YEAR so that a long limit started late in 2100
# still has room; beyond it a computation refuses with ``calendar.out_of_range``.
INDEX_START = date(MIN_YEAR, 1, 1)
INDEX_END = date(MAX_YEAR + 5, 12, 31)

KINDS = ("workday", "weekend", "holiday", "makeup_workday")
WORKING_KINDS = frozenset({"workday", "makeup_workday"})
Kind = Literal["workday", "weekend", "holiday", "makeup_workday"]
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}

LimitUnit = Literal["working_days", "working_hours", "calendar_hours"]
LIMIT_UNITS: tuple[LimitUnit, ...] = ("working_days", "working_hours", "calendar_hours")

# Upper bounds that catch typos (a limit of 1200 days, 99999 hours) as errors.
MAX_WORKDAYS = 1000
MAX_WORKING_HOURS = 2000
MAX_CALENDAR_HOURS = 24 * 366

_BASE_ORD = INDEX_START.toordinal()
_N_DAYS = INDEX_END.toordinal() - _BASE_ORD + 1
_EPOCH_DT64 = np.datetime64(INDEX_START.isoformat(), "D")


# --------------------------------------------------------------------------- results


class Deadline(NamedTuple):
    """When a limit runs out.

    ``date`` is the local date of the deadline (for a working-day limit: the last day on
    which the work is on time). ``due_at`` is the exclusive instant (aware, UTC): a case is
    overdue when ``now >= due_at``. For a working-day limit that is local midnight after
    ``date`` (``instant`` stays ``None`` and ``due_at`` is derived when asked for); for an
    hour limit it is the exact ``instant``. ``provisional`` is true when the computation
    went through a year without an official arrangement.

    A tuple rather than an object with slots: a million of them stay out of the cyclic
    garbage collector's way.
    """

    date: date
    provisional: bool
    instant: datetime | None = None

    @property
    def due_at(self) -> datetime:
        if self.instant is not None:
            return self.instant
        return datetime.combine(self.date + _ONE_DAY, time(), SHANGHAI).astimezone(UTC)

    def to_dict(self) -> dict[str, Any]:
        return {"deadline": self.date.isoformat(), "provisional": self.provisional}


_new_tuple = tuple.__new__
_ONE_DAY = timedelta(days=1)
# Every date of the index, built once per process (~45,000 objects), so a deadline is a
# list look-up rather than a date construction.
_DATES: list[date] = [date.fromordinal(_BASE_ORD + i) for i in range(_N_DAYS)]


class WorkdayCount(NamedTuple):
    workdays: int
    provisional: bool


class WorkingTime(NamedTuple):
    seconds: float
    provisional: bool


# --------------------------------------------------------------------------- helpers


def _index_of_date(day: date) -> int:
    i = day.toordinal() - _BASE_ORD
    if i < 0 or i >= _N_DAYS:
        raise Invalid(
            "calendar.out_of_range",
            f"日期超出工作日历范围({INDEX_START.isoformat()}–{INDEX_END.isoformat()}): {day}",
            date=day.isoformat(),
        )
    return i


def local_date(moment: date | datetime) -> date:
    """The Asia/Shanghai date of an instant, or the date itself."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(SHANGHAI).date()
    return moment


def _check_limit(amount: float, maximum: float, unit: str) -> None:
    if not amount >= 0 or amount > maximum:  # also refuses NaN
        raise Invalid(
            "sla.invalid_limit",
            f"时限必须在 0 到 {maximum} 之间({unit}): {amount}",
            amount=amount,
            unit=unit,
        )


def _whole_workdays(value: Any) -> int:
    """A limit in working days as an ``int`` in range, or ``sla.invalid_limit``."""
    if isinstance(value, bool):
        raise Invalid("sla.invalid_limit", f"工作日数必须是整数: {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            n = int(value)
        else:
            raise Invalid("sla.invalid_limit", f"工作日数必须是整数: {value!r}") from None
    _check_limit(n, MAX_WORKDAYS, "working_days")
    return n


def default_kind(day: date) -> Kind:
    """Monday–Friday work, Saturday and Sunday off: the rule for a day no notice mentions."""
    return "weekend" if day.weekday() >= 5 else "workday"


# --------------------------------------------------------------------------- the calendar


class WorkdayCalendar:
    """A precomputed working-day index. Immutable; share it freely between threads.

    ``days`` maps dates to kinds (``workday``, ``weekend``, ``holiday``,
    ``makeup_workday``) for the *known* years; a known year's days that ``days`` does not
    mention follow Monday–Friday, which is exact because an arrangement lists every
    exception. ``known_years`` defaults to the years that occur in ``days``; pass it to
    declare a year known that has no exception at all.
    """

    def __init__(
        self,
        days: Mapping[date, str],
        known_years: Iterable[int] | None = None,
        rules: WorkdayRules | None = None,
    ) -> None:
        self.rules = rules or WorkdayRules()
        years = frozenset(known_years) if known_years is not None else None
        if years is None:
            years = frozenset(d.year for d in days)
        for y in years:
            if not MIN_YEAR <= y <= MAX_YEAR:
                raise Invalid("calendar.date_out_of_range", f"年份超出范围: {y}", year=y)
        self.known_years: frozenset[int] = years

        ordinals = np.arange(_BASE_ORD, _BASE_ORD + _N_DAYS, dtype=np.int64)
        # date(1990, 1, 1) is a Monday, so weekday = index % 7.
        weekday = (ordinals - _BASE_ORD + INDEX_START.weekday()) % 7
        kinds = np.where(weekday >= 5, _KIND_CODE["weekend"], _KIND_CODE["workday"]).astype(np.int8)
        for day, kind in days.items():
            code = _KIND_CODE.get(kind)
            if code is None:
                raise Invalid("calendar.unknown_kind", f"未知的日期类型: {kind!r}", kind=kind)
            if day.year not in years:
                raise ValueError(f"{day} lies outside the known years")
            kinds[_index_of_date(day)] = code
        self._kinds = kinds

        working = (kinds == _KIND_CODE["workday"]) | (kinds == _KIND_CODE["makeup_workday"])
        year_of = _years_of_index()
        unknown = ~np.isin(year_of, np.fromiter(years, dtype=np.int64, count=len(years)))

        self._cum_np = np.concatenate(([0], np.cumsum(working, dtype=np.int64)))
        self._nth_np = np.flatnonzero(working).astype(np.int64)
        self._unknown_np = np.concatenate(([0], np.cumsum(unknown, dtype=np.int64)))
        # Plain lists: indexing a list is several times faster than a numpy scalar look-up.
        self._cum: list[int] = self._cum_np.tolist()
        self._nth: list[int] = self._nth_np.tolist()
        self._unknown: list[int] = self._unknown_np.tolist()
        self._workday_count = len(self._nth)
        self._skip_first = 1 if self.rules.count_from_next_day else 0
        self._day_seconds = self.rules.office_hours.seconds_per_day

    def with_rules(self, rules: WorkdayRules) -> WorkdayCalendar:
        """The same days with other counting rules; shares the index, costs nothing."""
        clone = object.__new__(WorkdayCalendar)
        clone.__dict__.update(self.__dict__)
        clone.rules = rules
        clone._skip_first = 1 if rules.count_from_next_day else 0
        clone._day_seconds = rules.office_hours.seconds_per_day
        return clone

    # ------------------------------------------------------------------ single days

    def kind(self, day: date) -> Kind:
        kind: Kind = KINDS[int(self._kinds[_index_of_date(day)])]  # type: ignore[assignment]
        return kind

    def is_workday(self, day: date) -> bool:
        i = _index_of_date(day)
        return self._cum[i + 1] > self._cum[i]

    def is_known(self, year: int) -> bool:
        return year in self.known_years

    def unknown_years(self, start: date | datetime, end: date | datetime) -> list[int]:
        """Years without data between two moments (inclusive), in order."""
        a, b = sorted((local_date(start).year, local_date(end).year))
        return [y for y in range(a, b + 1) if y not in self.known_years]

    def next_workday(self, day: date, *, include_today: bool = False) -> date:
        i = _index_of_date(day)
        k = self._cum[i] if include_today else self._cum[i + 1]
        return self._date_at(self._nth_at(k))

    def workday_back(self, day: date, back: int) -> date:
        """The working day ``back`` working days before ``day`` (``back=0``: ``day`` itself
        if it is a working day, else the working day before it)."""
        i = _index_of_date(day)
        k = self._cum[i + 1] - 1 - back
        if k < 0:
            raise Invalid("calendar.out_of_range", "日期超出工作日历范围")
        return self._date_at(self._nth[k])

    # ------------------------------------------------------------------ working days

    def add_workdays(self, start: date | datetime, workdays: int) -> Deadline:
        """The deadline of a limit of ``workdays`` working days accepted at ``start``.

        ``workdays=0`` means the same day ("即办"). With ``count_from_next_day`` the
        result is the ``workdays``-th working day after the acceptance date; otherwise
        the acceptance date is day 1 when it is a working day.
        """
        # The hot path of every deadline: plain look-ups, no helper calls.
        i = (start if start.__class__ is date else local_date(start)).toordinal() - _BASE_ORD
        if not 0 <= i < _N_DAYS:
            _index_of_date(local_date(start))
        if workdays.__class__ is not int or not 0 < workdays <= MAX_WORKDAYS:
            workdays = _whole_workdays(workdays)
        if workdays == 0:
            j = i
        else:
            k = self._cum[i + self._skip_first] + workdays - 1
            if k >= self._workday_count:
                self._nth_at(k)
            j = self._nth[k]
        unknown = self._unknown
        return _new_tuple(Deadline, (_DATES[j], unknown[j + 1] - unknown[i] > 0, None))

    def workdays_between(self, start: date | datetime, end: date | datetime) -> WorkdayCount:
        """Working days from ``start`` to ``end``, counted like :meth:`add_workdays`.

        With ``count_from_next_day``: the working days in (start date, end date], so that
        ``workdays_between(s, add_workdays(s, n).date) == n``. Otherwise [start, end].
        Negative when ``end`` is before ``start`` (the same count, taken backwards).
        """
        i = _index_of_date(local_date(start))
        j = _index_of_date(local_date(end))
        lo, hi, sign = (i, j, 1) if i <= j else (j, i, -1)
        cum = self._cum
        n = cum[hi + 1] - (cum[lo + 1] if self.rules.count_from_next_day else cum[lo])
        return WorkdayCount(sign * n, self._unknown[hi + 1] - self._unknown[lo] > 0)

    # ------------------------------------------------------------------ hours

    def _position(self, moment: datetime) -> tuple[int, float]:
        """(day index, office seconds since the index start) of an instant."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(SHANGHAI)
        i = _index_of_date(local.date())
        pos = float(self._cum[i] * self._day_seconds)
        if self._cum[i + 1] > self._cum[i]:
            second = local.hour * 3600 + local.minute * 60 + local.second
            pos += self.rules.office_hours.elapsed(second + local.microsecond / 1e6)
        return i, pos

    def working_seconds_between(self, start: datetime, end: datetime) -> WorkingTime:
        """Office seconds between two instants (negative if ``end`` precedes ``start``).

        Used for paused time: a suspension from Friday 16:30 to Monday 10:00 is two
        office hours, whatever the weekend.
        """
        i, a = self._position(start)
        j, b = self._position(end)
        lo, hi = (i, j) if i <= j else (j, i)
        return WorkingTime(b - a, self._unknown[hi + 1] - self._unknown[lo] > 0)

    def add_working_seconds(self, start: datetime, seconds: float) -> Deadline:
        """The instant at which ``seconds`` of office time after ``start`` are used up.

        A limit ending exactly at the close of office ends then (17:30), not at the next
        opening. Zero seconds is ``start`` itself.
        """
        _check_limit(seconds, MAX_WORKING_HOURS * 3600, "working_seconds")
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        i, pos = self._position(start)
        if seconds == 0:
            provisional = self._unknown[i + 1] - self._unknown[i] > 0
            return Deadline(local_date(start), provisional, start.astimezone(UTC))
        target = pos + seconds
        per_day = self._day_seconds
        k = math.ceil(target / per_day) - 1  # the k-th working day (0-based) holds it
        j = self._nth_at(k)
        wall = self.rules.office_hours.wall_second(target - k * per_day)
        day = date.fromordinal(_BASE_ORD + j)
        local = datetime.combine(day, time(), SHANGHAI) + timedelta(seconds=wall)
        due = local.astimezone(UTC)
        return Deadline(day, self._unknown[j + 1] - self._unknown[i] > 0, due)

    def add_working_hours(self, start: datetime, hours: float) -> Deadline:
        _check_limit(hours, MAX_WORKING_HOURS, "working_hours")
        return self.add_working_seconds(start, round(hours * 3600, 6))

    def add_calendar_hours(self, start: datetime, hours: float) -> Deadline:
        """Round-the-clock hours (urgent matters); never provisional."""
        _check_limit(hours, MAX_CALENDAR_HOURS, "calendar_hours")
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        due = (start + timedelta(hours=hours)).astimezone(UTC)
        day = local_date(due)
        _index_of_date(day)
        return Deadline(day, False, due)

    def add(self, start: datetime, amount: float, unit: str) -> Deadline:
        """Dispatch on a policy's unit: ``working_days``, ``working_hours``,
        ``calendar_hours``."""
        if unit == "working_days":
            return self.add_workdays(start, _whole_workdays(amount))
        if unit == "working_hours":
            return self.add_working_hours(start, amount)
        if unit == "calendar_hours":
            return self.add_calendar_hours(start, amount)
        raise Invalid("sla.invalid_unit", f"未知的时限单位: {unit!r}", unit=unit)

    # ------------------------------------------------------------------ many at once

    def add_workdays_many(
        self,
        starts: npt.ArrayLike,
        workdays: npt.ArrayLike,
    ) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
        """Vectorised :meth:`add_workdays` over local dates (``datetime64[D]`` or
        anything numpy turns into it) and integer limits; for recomputing many cases
        after an import. Returns (deadline dates as ``datetime64[D]``, provisional)."""
        idx = _indices(starts)
        n = np.asarray(workdays, dtype=np.int64)
        if n.size and (n.min() < 0 or n.max() > MAX_WORKDAYS):
            raise Invalid("sla.invalid_limit", f"工作日数必须在 0 到 {MAX_WORKDAYS} 之间")
        idx, n = np.broadcast_arrays(idx, n)
        first = self._cum_np[idx + 1] if self.rules.count_from_next_day else self._cum_np[idx]
        k = first + n - 1
        if k.size and k.max() >= self._nth_np.size:
            raise Invalid("calendar.out_of_range", "期限超出工作日历范围")
        j = np.where(n == 0, idx, self._nth_np[np.maximum(k, 0)])
        provisional = (self._unknown_np[j + 1] - self._unknown_np[idx]) > 0
        return _EPOCH_DT64 + j.astype("timedelta64[D]"), provisional

    def workdays_between_many(
        self, starts: npt.ArrayLike, ends: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Vectorised :meth:`workdays_between` (e.g. working days left for every open
        case: ``workdays_between_many(today, deadlines)``)."""
        i, j = np.broadcast_arrays(_indices(starts), _indices(ends))
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        base = self._cum_np[lo + 1] if self.rules.count_from_next_day else self._cum_np[lo]
        n = (self._cum_np[hi + 1] - base) * np.where(j < i, -1, 1)
        provisional = (self._unknown_np[hi + 1] - self._unknown_np[lo]) > 0
        return n, provisional

    # ------------------------------------------------------------------ internals

    def _nth_at(self, k: int) -> int:
        if k >= len(self._nth):
            raise Invalid("calendar.out_of_range", f"期限超出工作日历范围(止于 {INDEX_END})")
        return self._nth[k]

    @staticmethod
    def _date_at(i: int) -> date:
        return date.fromordinal(_BASE_ORD + i)


def _years_of_index() -> npt.NDArray[np.int64]:
    days = _EPOCH_DT64 + np.arange(_N_DAYS).astype("timedelta64[D]")
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _indices(days: npt.ArrayLike) -> npt.NDArray[np.int64]:
    arr = np.asarray(days)
    if arr.dtype.kind != "M":
        arr = arr.astype("datetime64[D]")
    idx = (arr.astype("datetime64[D]") - _EPOCH_DT64).astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= _N_DAYS):
        raise Invalid("calendar.out_of_range", "日期超出工作日历范围")
    return idx


def fallback_calendar(rules: WorkdayRules | None = None) -> WorkdayCalendar:
    """A calendar that knows no year: Monday–Friday everywhere, everything provisional."""
    return WorkdayCalendar({}, known_years=(), rules=rules)
