"""Arrangement files: reading and checking what an import gives, before anything is written.

An arrangement file lists, for each year it names, the days that differ from
Monday–Friday: every day off (``holiday``) and every adjusted working weekend day
(``makeup_workday``). ``workday``/``weekend`` rows are accepted when they agree with the
day of the week. A year must give every statutory festival at least one day off (the
festival rule). The ``chinesecalendar`` package's days come in the same form. Writing
them is ``sla/calendar.py``; see ``docs/calendar.md``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bancheng.core.errors import Invalid, TooLarge
from bancheng.core.validators import decode_text_file
from bancheng.sla.workdays import KINDS, MAX_YEAR, MIN_YEAR, default_kind

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
    text = decode_text_file(data, "calendar.unreadable", "无法识别文件编码(请使用 UTF-8)")
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


# --------------------------------------------------------------------------- the package


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
