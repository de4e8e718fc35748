"""The calendar table: seeding, importing official arrangements, loading the index.

An arrangement file lists, for each year it names, the days that differ from
Monday–Friday: every day off (``holiday``) and every adjusted working weekend day
(``makeup_workday``). ``workday``/``weekend`` rows are accepted when they agree with the
day of the week. An import replaces the years it names, whole, in one savepoint: either
every row is written or none is. See ``docs/calendar.md``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bancheng.core.clock import local_today, now
from bancheng.core.config import Settings, get_settings
from bancheng.core.errors import Invalid, NotFound, TooLarge
from bancheng.sla.models import CalendarDay, CalendarYear
from bancheng.sla.workdays import (
    DEFAULT_OFFICE_HOURS,
    KINDS,
    MAX_YEAR,
    MIN_YEAR,
    OfficeHours,
    WorkdayCalendar,
    WorkdayRules,
    default_kind,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_REPORTED_ERRORS = 50
PACKAGE_SOURCE = "chinesecalendar"

# The statutory festivals (法定节假日) by code: the Chinese name stored for the UI and
# the fragments that recognise it in a festival column. 中秋 and 国庆 sometimes share
# one holiday ("国庆节、中秋节"): one row may name several festivals.
FESTIVALS: dict[str, tuple[str, tuple[str, ...]]] = {
    "new_year": ("元旦", ("元旦", "new year")),
    "spring_festival": ("春节", ("春节", "spring festival")),
    "tomb_sweeping": ("清明节", ("清明", "tomb-sweeping", "tomb sweeping", "qingming")),
    "labour_day": ("劳动节", ("劳动节", "五一", "labour day", "labor day")),
    "dragon_boat": ("端午节", ("端午", "dragon boat")),
    "mid_autumn": ("中秋节", ("中秋", "mid-autumn", "mid autumn")),
    "national_day": ("国庆节", ("国庆", "national day")),
}
# 清明, 端午 and 中秋 became public holidays in 2008 (国务院令第513号).
FESTIVALS_BEFORE_2008 = ("new_year", "spring_festival", "labour_day", "national_day")
FESTIVALS_SINCE_2008 = tuple(FESTIVALS)

_PACKAGE_FESTIVAL_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class DayEntry:
    """One declared day of an arrangement."""

    date: date
    kind: str
    festival: str | None = None
    source: str | None = None


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
class YearSummary:
    year: int
    source: str
    loaded_at: datetime
    complete: bool
    holidays: int
    makeup_workdays: int


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


# --------------------------------------------------------------------------- festivals


def festivals_named(text: str | None) -> set[str]:
    """The festival codes a festival column names (``"国庆节、中秋节"`` names two)."""
    if not text:
        return set()
    lowered = text.lower()
    return {
        code for code, (_, fragments) in FESTIVALS.items() if any(f in lowered for f in fragments)
    }


def required_festivals(year: int) -> tuple[str, ...]:
    return FESTIVALS_SINCE_2008 if year >= 2008 else FESTIVALS_BEFORE_2008


def missing_festivals(year: int, entries: Iterable[DayEntry]) -> list[str]:
    """The statutory festivals (Chinese names) without a single ``holiday`` row.

    This is the completeness rule of an import: an official notice gives every
    statutory festival at least one day off, so a year missing one was given in part.
    """
    named: set[str] = set()
    for entry in entries:
        if entry.kind == "holiday":
            named |= festivals_named(entry.festival)
    return [FESTIVALS[code][0] for code in required_festivals(year) if code not in named]


# --------------------------------------------------------------------------- parsing


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, row: int, code: str, detail: str, value: Any = None) -> None:
        self.items.append({"row": row, "code": code, "detail": detail, "value": value})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        more = f"(共 {len(self.items)} 处错误)" if len(self.items) > 1 else ""
        raise Invalid(
            first["code"],
            f"第 {first['row']} 行: {first['detail']}{more}",
            errors=self.items[:MAX_REPORTED_ERRORS],
        )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("calendar.unreadable", "无法识别文件编码(请使用 UTF-8)")


def _rows_from_csv(text: str) -> tuple[list[tuple[int, dict[str, Any]]], set[str]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise Invalid("calendar.empty_file", "文件为空")
    columns = {(name or "").strip().lower() for name in reader.fieldnames}
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for record in reader:
            clean = {
                (k or "").strip().lower(): (v.strip() if isinstance(v, str) else v)
                for k, v in record.items()
            }
            if all(v in (None, "") for v in clean.values()):
                continue
            rows.append((reader.line_num, clean))
    except csv.Error as exc:
        raise Invalid("calendar.unreadable", f"CSV 格式错误: {exc}") from exc
    return rows, columns


def _rows_from_json(text: str) -> tuple[list[tuple[int, dict[str, Any]]], set[str]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid("calendar.unreadable", f"JSON 格式错误: {exc.msg}") from exc
    items = doc.get("days") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise Invalid("calendar.unreadable", "JSON 应为对象数组,或带 days 数组的对象")
    rows: list[tuple[int, dict[str, Any]]] = []
    columns: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Invalid("calendar.malformed_row", f"第 {n} 项不是对象", row=n)
        clean = {str(k).strip().lower(): v for k, v in item.items()}
        columns |= clean.keys()
        rows.append((n, clean))
    return rows, columns


def _parse_date(raw: Any) -> date | None:
    if not isinstance(raw, str):
        return None
    m = _DATE_RE.match(raw.strip())
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def parse_calendar_file(data: bytes, filename: str = "") -> dict[int, list[DayEntry]]:
    """Check an arrangement file and return its entries by year. Pure; raises
    :class:`Invalid` with a stable code (and every row error in ``errors``) on any fault.
    """
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge("calendar.file_too_large", f"文件超过 {MAX_FILE_BYTES} 字节")
    text = _decode(data)
    if not text.strip():
        raise Invalid("calendar.empty_file", "文件为空")
    suffix = Path(filename).suffix.lower()
    is_json = suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("[", "{"))
    rows, columns = _rows_from_json(text) if is_json else _rows_from_csv(text)
    if not rows:
        raise Invalid("calendar.empty_file", "文件中没有日期")
    missing = [c for c in ("date", "kind") if c not in columns]
    if missing:
        raise Invalid(
            "calendar.missing_column",
            f"缺少列: {', '.join(missing)}(需要 date, kind, festival)",
            columns=missing,
        )

    errors = _Errors()
    seen: dict[date, int] = {}
    by_year: dict[int, list[DayEntry]] = {}
    for row, record in rows:
        day = _parse_date(record.get("date"))
        if day is None:
            errors.add(
                row, "calendar.malformed_date", "日期格式应为 YYYY-MM-DD", record.get("date")
            )
            continue
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            errors.add(
                row,
                "calendar.date_out_of_range",
                f"日期须在 {MIN_YEAR}–{MAX_YEAR} 年之间",
                day.isoformat(),
            )
            continue
        kind = (_text(record.get("kind")) or "").lower()
        if kind not in KINDS:
            errors.add(
                row,
                "calendar.unknown_kind",
                f"未知的类型 {record.get('kind')!r}(可用: {', '.join(KINDS)})",
                record.get("kind"),
            )
            continue
        year_raw = _text(record.get("year"))
        if year_raw is not None and year_raw != str(day.year):
            errors.add(row, "calendar.year_mismatch", f"year 列 {year_raw} 与日期不符", year_raw)
            continue
        if day in seen:
            errors.add(
                row,
                "calendar.duplicate_date",
                f"日期 {day.isoformat()} 重复(第 {seen[day]} 行已出现)",
                day.isoformat(),
            )
            continue
        weekend = day.weekday() >= 5
        if (kind == "makeup_workday" and not weekend) or (
            kind in ("workday", "weekend") and kind != default_kind(day)
        ):
            errors.add(
                row,
                "calendar.kind_mismatch",
                f"{day.isoformat()} 是星期{'一二三四五六日'[day.weekday()]},不能标为 {kind}",
                kind,
            )
            continue
        festival = _text(record.get("festival"))
        if festival is not None and len(festival) > 64:
            errors.add(row, "calendar.malformed_row", "节日名称过长(最多 64 字)", festival)
            continue
        seen[day] = row
        by_year.setdefault(day.year, []).append(
            DayEntry(day, kind, festival, _text(record.get("source")))
        )
    errors.raise_if_any()

    incomplete = {y: m for y in sorted(by_year) if (m := missing_festivals(y, by_year[y]))}
    if incomplete:
        detail = "; ".join(f"{y} 年缺少 {'、'.join(m)}" for y, m in incomplete.items())
        raise Invalid(
            "calendar.incomplete_year",
            f"只给出了部分年份的安排: {detail}。每年须包含全部法定节假日的放假日期",
            missing={str(y): m for y, m in incomplete.items()},
        )
    for entries in by_year.values():
        entries.sort(key=lambda e: e.date)
    return by_year


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
        replaced = sorted(
            session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(names)))
        )
        session.execute(delete(CalendarDay).where(CalendarDay.year.in_(names)))
        session.execute(delete(CalendarYear).where(CalendarYear.year.in_(names)))
        year_rows = [
            {
                "year": y,
                "source": source if override_source else _year_source(list(years[y]), source),
                "loaded_at": stamp,
                "complete": True,
            }
            for y in names
        ]
        session.execute(insert(CalendarYear), year_rows)
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
        session.execute(insert(CalendarDay), day_rows)
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


def chinese_calendar_days() -> dict[int, list[DayEntry]]:
    """Every holiday and make-up working day the ``chinesecalendar`` package knows, by
    year, for the whole years it covers."""
    import chinese_calendar
    from chinese_calendar import constants

    version = getattr(chinese_calendar, "__version__", "")
    source = f"{PACKAGE_SOURCE} {version}".strip()
    by_year: dict[int, list[DayEntry]] = {}
    for day, name in constants.holidays.items():
        zh = _PACKAGE_FESTIVAL_ZH.get(str(name), str(name))
        by_year.setdefault(day.year, []).append(DayEntry(day, "holiday", zh, source))
    for day, name in constants.workdays.items():
        if day.weekday() < 5:  # the package lists only adjusted weekend days; be safe
            continue
        zh = _PACKAGE_FESTIVAL_ZH.get(str(name), str(name))
        by_year.setdefault(day.year, []).append(DayEntry(day, "makeup_workday", zh, source))
    for entries in by_year.values():
        entries.sort(key=lambda e: e.date)
    return {y: by_year[y] for y in sorted(by_year) if MIN_YEAR <= y <= MAX_YEAR}


def seed_from_chinese_calendar(session: Session, *, replace: bool = False) -> ImportResult | None:
    """Load the years the ``chinesecalendar`` package covers that have no data yet.

    With ``replace``, years previously seeded from the package are refreshed too (a
    newer package may correct them); years an administrator imported are never touched.
    The package is trusted to cover whole years, so the festival rule is not applied.
    Returns ``None`` when there was nothing to load.
    """
    package_years = chinese_calendar_days()
    existing = {
        year: source
        for year, source in session.execute(select(CalendarYear.year, CalendarYear.source))
    }
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

_cache_lock = threading.Lock()
_cache: tuple[tuple[Any, ...], WorkdayCalendar] | None = None


def invalidate_calendar_cache() -> None:
    global _cache
    with _cache_lock:
        _cache = None


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
    """The working-day index of what the database holds, cached in the process.

    A one-row fingerprint query (count and latest load of the complete years) decides
    whether the cached index is current, so an import by another instance is picked up
    on the next call; an import in this process also drops the cache at once.
    """
    global _cache
    rules = rules or rules_from_settings()
    fingerprint = tuple(
        session.execute(
            select(
                func.count(CalendarYear.year),
                func.max(CalendarYear.loaded_at),
                func.coalesce(func.sum(CalendarYear.year), 0),
            ).where(CalendarYear.complete.is_(True))
        ).one()
    )
    with _cache_lock:
        cached = _cache
    if cached is not None and cached[0] == fingerprint:
        calendar = cached[1]
        return calendar if calendar.rules == rules else calendar.with_rules(rules)

    known = set(session.scalars(select(CalendarYear.year).where(CalendarYear.complete.is_(True))))
    days: dict[date, str] = {}
    if known:
        rows = session.execute(
            select(CalendarDay.date, CalendarDay.kind).where(CalendarDay.year.in_(sorted(known)))
        )
        days = {day: kind for day, kind in rows}
    calendar = WorkdayCalendar(days, known_years=known, rules=rules)
    with _cache_lock:
        _cache = (fingerprint, calendar)
    return calendar


def list_years(session: Session) -> list[YearSummary]:
    counts: dict[tuple[int, str], int] = {
        (y, k): n
        for y, k, n in session.execute(
            select(CalendarDay.year, CalendarDay.kind, func.count())
            .where(CalendarDay.kind.in_(("holiday", "makeup_workday")))
            .group_by(CalendarDay.year, CalendarDay.kind)
        )
    }
    return [
        YearSummary(
            year=row.year,
            source=row.source,
            loaded_at=row.loaded_at,
            complete=row.complete,
            holidays=counts.get((row.year, "holiday"), 0),
            makeup_workdays=counts.get((row.year, "makeup_workday"), 0),
        )
        for row in session.scalars(select(CalendarYear).order_by(CalendarYear.year))
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
    row = session.get(CalendarYear, year)
    if row is not None and row.complete:
        days = [
            DayView(d.date, d.kind, d.festival)
            for d in session.scalars(
                select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.date)
            )
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
    known = set(
        session.scalars(
            select(CalendarYear.year).where(
                CalendarYear.year.in_(wanted), CalendarYear.complete.is_(True)
            )
        )
    )
    return [y for y in wanted if y not in known]
