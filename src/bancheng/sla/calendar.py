"""The calendar table: seeding, importing official arrangements, loading the index.

An import replaces the years it names, whole, in one savepoint: either every row is
written or none is. What an arrangement file may contain, and how it is checked, is
``sla/arrangements.py``. See ``docs/calendar.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core.cache import Cached
from bancheng.core.clock import local_today, now
from bancheng.core.config import Settings, get_settings
from bancheng.core.errors import Invalid, NotFound
from bancheng.sla import repository
from bancheng.sla.arrangements import (
    PACKAGE_SOURCE,
    DayEntry,
    chinese_calendar_days,
    parse_calendar_file,
)
from bancheng.sla.models import CalendarDay, CalendarYear
from bancheng.sla.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours, WorkdayRules
from bancheng.sla.schemas import YearOut
from bancheng.sla.workdays import MAX_YEAR, MIN_YEAR, WorkdayCalendar, default_kind

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ImportResult:
    years: list[int]
    replaced_years: list[int]
    holidays: int
    makeup_workdays: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "years": self.years,
            "replaced_years": self.replaced_years,
            "holidays": self.holidays,
            "makeup_workdays": self.makeup_workdays,
            "source": self.source,
        }


@dataclass(frozen=True)
class DayView:
    date: date
    kind: str
    festival: str | None

    @property
    def is_workday(self) -> bool:
        return self.kind in ("workday", "makeup_workday")


@dataclass(frozen=True)
class YearView:
    """A year as the calendar sees it. ``known=False``: no arrangement is loaded and the
    days shown are the Monday–Friday fallback."""

    year: int
    known: bool
    source: str | None
    loaded_at: datetime | None
    days: list[DayView] = field(default_factory=list)


# --------------------------------------------------------------------------- writing

CalendarListener = Callable[[Session, list[int]], None]
_listeners: list[CalendarListener] = []


def on_calendar_change(listener: CalendarListener) -> CalendarListener:
    """Register ``listener(session, years)``, called in the importing transaction after
    years were (re)loaded, e.g. to recompute provisional deadlines. Usable as a
    decorator; registering the same function twice has no effect."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def remove_calendar_listener(listener: CalendarListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _year_source(entries: list[DayEntry], fallback: str) -> str:
    sources = {e.source for e in entries if e.source}
    return sources.pop() if len(sources) == 1 else fallback


def write_years(
    session: Session,
    years: Mapping[int, list[DayEntry]],
    *,
    source: str,
    override_source: bool = False,
) -> ImportResult:
    """Replace the named years with these entries, every day of each year materialised.

    Runs in a savepoint: on any error nothing of it stays. ``source`` describes the
    file; a year whose rows agree on one ``source`` keeps that unless
    ``override_source``.
    """
    if not years:
        raise Invalid("calendar.empty_file", "没有可导入的年份")
    names = sorted(years)
    stamp = now()
    with session.begin_nested():
        replaced = repository.calendar_years_among(session, names)
        year_rows = [
            {
                "year": y,
                "source": source if override_source else _year_source(list(years[y]), source),
                "loaded_at": stamp,
                "complete": True,
            }
            for y in names
        ]
        day_rows: list[dict[str, Any]] = []
        for y in names:
            declared = {e.date: e for e in years[y]}
            day = date(y, 1, 1)
            while day.year == y:
                entry = declared.get(day)
                day_rows.append(
                    {
                        "date": day,
                        "year": y,
                        "kind": entry.kind if entry else default_kind(day),
                        "festival": entry.festival if entry else None,
                        "source": (entry.source or source) if entry else None,
                    }
                )
                day += timedelta(days=1)
        repository.replace_calendar_years(session, names, year_rows, day_rows)
        for listener in list(_listeners):
            listener(session, names)
    invalidate_calendar_cache()
    all_entries = [e for y in names for e in years[y]]
    return ImportResult(
        years=names,
        replaced_years=replaced,
        holidays=sum(e.kind == "holiday" for e in all_entries),
        makeup_workdays=sum(e.kind == "makeup_workday" for e in all_entries),
        source=source,
    )


def import_bytes(
    session: Session, data: bytes, filename: str = "", *, source: str | None = None
) -> ImportResult:
    """Validate and import an arrangement file (CSV or JSON); all-or-nothing."""
    parsed = parse_calendar_file(data, filename)
    label = source or f"import:{Path(filename).name or 'upload'}"
    return write_years(session, parsed, source=label, override_source=source is not None)


def import_file(session: Session, path: str | Path, *, source: str | None = None) -> ImportResult:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise NotFound("calendar.file_not_found", f"无法读取文件 {p}: {exc.strerror}") from exc
    return import_bytes(session, data, p.name, source=source)


def seed_from_chinese_calendar(session: Session, *, replace: bool = False) -> ImportResult | None:
    """Load the years the ``chinesecalendar`` package covers that have no data yet.

    With ``replace``, years previously seeded from the package are refreshed too (a
    newer package may correct them); years an administrator imported are never touched.
    The package is trusted to cover whole years, so the festival rule is not applied.
    Returns ``None`` when there was nothing to load.
    """
    package_years = chinese_calendar_days()
    existing = repository.calendar_year_sources(session)
    wanted = {
        y: entries
        for y, entries in package_years.items()
        if y not in existing or (replace and existing[y].startswith(PACKAGE_SOURCE))
    }
    if not wanted:
        return None
    source = wanted[min(wanted)][0].source or PACKAGE_SOURCE
    return write_years(session, wanted, source=source)


# --------------------------------------------------------------------------- reading


def _load_days(session: Session) -> WorkdayCalendar:
    known = repository.complete_calendar_years(session)
    days = repository.calendar_day_kinds(session, known) if known else {}
    return WorkdayCalendar(days, known_years=known, rules=rules_from_settings())


# The working-day index, per process, loaded again in every process once an import or
# change of the calendar commits (``core/cache.py``: ``write_years`` writes through ORM
# statements, which give the stamp a new value in the importing transaction).
_calendar: Cached[WorkdayCalendar] = Cached("calendar", (CalendarYear, CalendarDay), _load_days)


def invalidate_calendar_cache() -> None:
    """Drop this process's index (other processes follow the stamp)."""
    _calendar.clear()


def rules_from_settings(settings: Settings | None = None) -> WorkdayRules:
    """Counting rules from the settings ``calendar_count_from_next_day`` (default true)
    and ``office_hours`` (default ``09:00-12:00,13:30-17:30``)."""
    settings = settings or get_settings()
    return _rules(
        bool(getattr(settings, "calendar_count_from_next_day", True)),
        getattr(settings, "office_hours", None) or str(DEFAULT_OFFICE_HOURS),
    )


@lru_cache(maxsize=16)
def _rules(count_from_next_day: bool, office_hours: str) -> WorkdayRules:
    return WorkdayRules(count_from_next_day, OfficeHours.parse(office_hours))


def load_calendar(session: Session, rules: WorkdayRules | None = None) -> WorkdayCalendar:
    """The working-day index of what the database holds, as this transaction sees it,
    cached in the process: no statement while the calendar's stamp is unchanged."""
    rules = rules or rules_from_settings()
    calendar = _calendar.get(session)
    return calendar if calendar.rules == rules else calendar.with_rules(rules)


def list_years(session: Session) -> list[YearOut]:
    """The loaded years, as the API shows them."""
    counts = repository.special_day_counts(session)
    return [
        YearOut(
            year=row.year,
            source=row.source,
            loaded_at=row.loaded_at,
            complete=row.complete,
            holidays=counts.get((row.year, "holiday"), 0),
            makeup_workdays=counts.get((row.year, "makeup_workday"), 0),
        )
        for row in repository.calendar_years(session)
    ]


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(
            "calendar.date_out_of_range",
            f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间: {year}",
            year=year,
        )


def show_year(session: Session, year: int) -> YearView:
    """Every day of a year; the Monday–Friday fallback when no data is loaded."""
    _check_year(year)
    row = repository.calendar_year(session, year)
    if row is not None and row.complete:
        days = [
            DayView(d.date, d.kind, d.festival) for d in repository.calendar_days(session, year)
        ]
        return YearView(year, True, row.source, row.loaded_at, days)
    fallback: list[DayView] = []
    day = date(year, 1, 1)
    while day.year == year:
        fallback.append(DayView(day, default_kind(day), None))
        day += timedelta(days=1)
    return YearView(year, False, None, None, fallback)


def missing_years(session: Session, years: Iterable[int] | None = None) -> list[int]:
    """Years without a complete arrangement, for the admin warning. By default the
    current (Asia/Shanghai) year and the next one, which deadlines can reach."""
    if years is None:
        this_year = local_today().year
        years = (this_year, this_year + 1)
    wanted = sorted({y for y in years if MIN_YEAR <= y <= MAX_YEAR})
    if not wanted:
        return []
    known = repository.complete_calendar_years(session, wanted)
    return [y for y in wanted if y not in known]
