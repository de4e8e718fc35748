"""The calendar table: the migration's seed, imports (good and bad), loading, warnings."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select

from bancheng.core import clock
from bancheng.core.errors import Invalid, NotFound
from bancheng.sla import calendar as cal
from bancheng.sla.models import CalendarDay, CalendarYear
from bancheng.sla.office_hours import WorkdayRules
from bancheng.sla.workdays import Deadline
from tests.sla.data import (
    SYNTHETIC_2027_ROWS,
    expected_kind,
    official_csv,
    synthetic_2027_csv,
)


def _snapshot(session) -> tuple[int, int, list[tuple[int, str]]]:
    days = session.scalar(select(func.count()).select_from(CalendarDay))
    holidays = session.scalar(
        select(func.count()).select_from(CalendarDay).where(CalendarDay.kind == "holiday")
    )
    years = list(session.execute(select(CalendarYear.year, CalendarYear.source)))
    return days, holidays, sorted(years)


def test_the_migration_seeds_the_package_years(session):
    years = cal.list_years(session)
    assert [y.year for y in years] == list(range(2004, 2027))
    y2026 = years[-1]
    assert y2026.source.startswith("chinesecalendar")
    assert (y2026.holidays, y2026.makeup_workdays, y2026.complete) == (33, 6, True)
    calendar = cal.load_calendar(session)
    assert calendar.add_workdays(date(2026, 9, 24), 12) == Deadline(date(2026, 10, 19), False)
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == 8401


def test_importing_the_official_file_reproduces_every_day(session):
    result = cal.import_file(session, official_csv())
    assert result.years == [2024, 2025, 2026]
    assert result.replaced_years == [2024, 2025, 2026]
    assert (result.holidays, result.makeup_workdays) == (89, 19)
    for year in (2024, 2025, 2026):
        view = cal.show_year(session, year)
        assert view.known is True
        assert len(view.days) == (366 if year == 2024 else 365)
        assert [d.kind for d in view.days] == [expected_kind(d.date) for d in view.days]
        assert "国务院办公厅" in (view.source or "") or "国办发" in (view.source or "")
    day = session.get(CalendarDay, date(2025, 10, 8))
    assert (day.kind, day.festival) == ("holiday", "国庆节、中秋节")
    assert session.get(CalendarDay, date(2025, 10, 9)).source is None


def test_importing_2027_makes_its_deadlines_exact(session):
    before = cal.load_calendar(session)
    assert before.add_workdays(date(2026, 12, 20), 12) == Deadline(date(2027, 1, 5), True)
    result = cal.import_bytes(session, synthetic_2027_csv(), "2027.csv")
    assert (result.years, result.replaced_years) == ([2027], [])
    assert result.source == "import:2027.csv"
    assert session.get(CalendarYear, 2027).source == "test fixture"
    after = cal.load_calendar(session)
    # 1/1 is a holiday in the loaded arrangement: one working day later, and exact.
    assert after.add_workdays(date(2026, 12, 20), 12) == Deadline(date(2027, 1, 6), False)
    # 2/6–12 off, Saturday 2/20 worked.
    assert after.add_workdays(date(2027, 2, 5), 1) == Deadline(date(2027, 2, 15), False)
    assert after.is_workday(date(2027, 2, 20)) is True
    assert cal.missing_years(session, [2026, 2027, 2028]) == [2028]


def test_json_import(session):
    rows = [{"date": d, "kind": k, "festival": f} for d, k, f in SYNTHETIC_2027_ROWS]
    result = cal.import_bytes(session, json.dumps({"days": rows}).encode(), "2027.json")
    assert result.years == [2027]
    assert session.get(CalendarDay, date(2027, 9, 26)).kind == "makeup_workday"
    # A bare list works as well, and replaces the year.
    again = cal.import_bytes(session, json.dumps(rows, ensure_ascii=False).encode(), "x.json")
    assert again.replaced_years == [2027]


def test_the_cache_follows_imports_and_rollbacks(session):
    first = cal.load_calendar(session)
    assert cal.load_calendar(session) is first
    savepoint = session.begin_nested()
    cal.import_bytes(session, synthetic_2027_csv(), "2027.csv")
    assert cal.load_calendar(session).is_known(2027)
    savepoint.rollback()
    assert cal.load_calendar(session).is_known(2027) is False


BAD_FILES = {
    "unknown kind": (
        synthetic_2027_csv("2027-03-01,2027,day_off,,\n"),
        "calendar.unknown_kind",
    ),
    "duplicate date": (
        synthetic_2027_csv("2027-01-01,2027,holiday,元旦,\n"),
        "calendar.duplicate_date",
    ),
    "partial year": (
        synthetic_2027_csv(
            drop={
                "2027-09-15",
                "2027-10-01",
                "2027-10-04",
                "2027-10-05",
                "2027-10-06",
                "2027-10-07",
            }
        ),
        "calendar.incomplete_year",
    ),
    "malformed date": (
        synthetic_2027_csv("2027-02-30,2027,holiday,春节,\n"),
        "calendar.malformed_date",
    ),
    "not a date": (
        synthetic_2027_csv("next monday,2027,holiday,春节,\n"),
        "calendar.malformed_date",
    ),
    "out of range": (
        synthetic_2027_csv("2101-01-01,2101,holiday,元旦,\n"),
        "calendar.date_out_of_range",
    ),
    "year column disagrees": (
        synthetic_2027_csv("2027-03-01,2026,holiday,春节,\n"),
        "calendar.year_mismatch",
    ),
    "make-up day on a weekday": (
        synthetic_2027_csv("2027-03-01,2027,makeup_workday,春节,\n"),
        "calendar.kind_mismatch",
    ),
    "weekend on a weekday": (
        synthetic_2027_csv("2027-03-02,2027,weekend,,\n"),
        "calendar.kind_mismatch",
    ),
    "no kind column": (
        b"date,festival\n2027-01-01,\xe5\x85\x83\xe6\x97\xa6\n",
        "calendar.missing_column",
    ),
    "empty": (b"", "calendar.empty_file"),
    "header only": (b"date,kind,festival\n", "calendar.empty_file"),
    "broken json": (b'[{"date": "2027-01-01",', "calendar.unreadable"),
    "not utf-8 nor gb18030": (b"\xff\xfe\xfa\x00date", "calendar.unreadable"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_imported(session, case):
    data, code = BAD_FILES[case]
    before = _snapshot(session)
    with pytest.raises(Invalid) as err:
        cal.import_bytes(session, data, "broken.json" if "json" in case else "broken.csv")
    assert err.value.code == code
    assert _snapshot(session) == before
    assert session.get(CalendarYear, 2027) is None


def test_every_row_error_is_reported(session):
    data = synthetic_2027_csv("2027-03-01,2027,day_off,,\n2027-13-01,2027,holiday,,\n")
    with pytest.raises(Invalid) as err:
        cal.import_bytes(session, data, "x.csv")
    assert err.value.code == "calendar.unknown_kind"
    assert [(e["row"], e["code"]) for e in err.value.extra["errors"]] == [
        (21, "calendar.unknown_kind"),
        (22, "calendar.malformed_date"),
    ]


def test_one_partial_year_spoils_the_whole_file(session):
    complete_2027 = synthetic_2027_csv().decode()
    only_spring_2028 = "2028-01-26,2028,holiday,春节,\n2028-01-27,2028,holiday,春节,\n"
    before = _snapshot(session)
    with pytest.raises(Invalid) as err:
        cal.import_bytes(session, (complete_2027 + only_spring_2028).encode(), "x.csv")
    assert err.value.code == "calendar.incomplete_year"
    assert err.value.extra["missing"] == {
        "2028": ["元旦", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    }
    assert _snapshot(session) == before


def test_a_failure_while_writing_leaves_nothing_behind(session):
    before = _snapshot(session)

    def explode(_session, years):
        raise RuntimeError(f"listener failed for {years}")

    cal.on_calendar_change(explode)
    try:
        with pytest.raises(RuntimeError):
            cal.import_bytes(session, synthetic_2027_csv(), "2027.csv")
    finally:
        cal.remove_calendar_listener(explode)
    assert _snapshot(session) == before
    assert cal.load_calendar(session).is_known(2027) is False


def test_listeners_hear_about_loaded_years(session):
    heard: list[list[int]] = []

    def listener(_session, years):
        heard.append(years)

    cal.on_calendar_change(listener)
    cal.on_calendar_change(listener)
    try:
        cal.import_bytes(session, synthetic_2027_csv(), "2027.csv")
    finally:
        cal.remove_calendar_listener(listener)
    assert heard == [[2027]]


def test_missing_file(session):
    with pytest.raises(NotFound) as err:
        cal.import_file(session, "/nonexistent/holidays.csv")
    assert err.value.code == "calendar.file_not_found"


def test_seed_fills_gaps_and_never_overwrites_imports(session):
    assert cal.seed_from_chinese_calendar(session) is None
    session.execute(delete(CalendarDay).where(CalendarDay.year == 2010))
    session.execute(delete(CalendarYear).where(CalendarYear.year == 2010))
    cal.import_file(session, official_csv())
    result = cal.seed_from_chinese_calendar(session)
    assert result is not None and result.years == [2010]
    assert session.get(CalendarDay, date(2010, 10, 1)).festival == "国庆节"
    refreshed = cal.seed_from_chinese_calendar(session, replace=True)
    assert refreshed is not None
    assert refreshed.years == list(range(2004, 2024))
    assert "国务院" in session.get(CalendarYear, 2024).source


def test_show_year_without_data_is_the_fallback(session):
    view = cal.show_year(session, 2027)
    assert (view.known, view.source, len(view.days)) == (False, None, 365)
    assert view.days[0].kind == "workday"  # 2027-01-01 is a Friday
    assert view.days[1].kind == "weekend"
    with pytest.raises(Invalid) as err:
        cal.show_year(session, 1989)
    assert err.value.code == "calendar.date_out_of_range"


def test_missing_years_for_the_admin_warning(session):
    clock.set_clock(lambda: datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    assert cal.missing_years(session) == [2027]
    cal.import_bytes(session, synthetic_2027_csv(), "2027.csv")
    assert cal.missing_years(session) == []
    clock.set_clock(lambda: datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 2027-01-01 local
    assert cal.missing_years(session) == [2028]


def test_load_calendar_with_other_rules_shares_the_index(session):
    default = cal.load_calendar(session)
    inclusive = cal.load_calendar(session, WorkdayRules(count_from_next_day=False))
    assert inclusive._cum is default._cum
    assert inclusive.add_workdays(date(2026, 9, 24), 12).date == date(2026, 10, 16)
    assert default.add_workdays(date(2026, 9, 24), 12).date == date(2026, 10, 19)
