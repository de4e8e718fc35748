"""The pure working-day maths: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bancheng.core.errors import Invalid
from bancheng.sla.arrangements import chinese_calendar_days, parse_calendar_file
from bancheng.sla.calendar import rules_from_settings
from bancheng.sla.office_hours import OfficeHours, WorkdayRules
from bancheng.sla.workdays import (
    INDEX_END,
    Deadline,
    WorkdayCalendar,
    fallback_calendar,
)
from tests.sla.data import expected_kind, official_csv

SH = ZoneInfo("Asia/Shanghai")


def _calendar(rules: WorkdayRules | None = None) -> WorkdayCalendar:
    by_year = chinese_calendar_days()
    days = {e.date: e.kind for entries in by_year.values() for e in entries}
    return WorkdayCalendar(days, known_years=by_year, rules=rules)


CAL = _calendar()
INCLUSIVE = CAL.with_rules(WorkdayRules(count_from_next_day=False))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


# --------------------------------------------------------------------------- the official days


def _every_day(year_from: int, year_to: int) -> list[date]:
    start, end = date(year_from, 1, 1), date(year_to, 12, 31)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_every_day_of_2024_to_2026_agrees_with_the_official_file_package_seed():
    official_csv()
    mismatches = [
        (d, CAL.kind(d), expected_kind(d))
        for d in _every_day(2024, 2026)
        if CAL.kind(d) != expected_kind(d)
    ]
    assert mismatches == []
    # Weekdays, less weekday holidays, plus make-up weekend days (counted by hand):
    # 2024: 262 - 19 + 8; 2025: 261 - 18 + 5; 2026: 261 - 19 + 6.
    assert sum(CAL.is_workday(d) for d in _every_day(2024, 2024)) == 251
    assert sum(CAL.is_workday(d) for d in _every_day(2025, 2025)) == 248
    assert sum(CAL.is_workday(d) for d in _every_day(2026, 2026)) == 248


def test_every_day_of_2024_to_2026_agrees_with_the_official_file_imported():
    parsed = parse_calendar_file(official_csv().read_bytes(), "official.csv")
    assert sorted(parsed) == [2024, 2025, 2026]
    cal = WorkdayCalendar({e.date: e.kind for es in parsed.values() for e in es})
    for d in _every_day(2024, 2026):
        assert cal.kind(d) == expected_kind(d), d
        assert cal.is_workday(d) == (expected_kind(d) in ("workday", "makeup_workday")), d
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d


# --------------------------------------------------------------------------- hand-checked deadlines


@pytest.mark.parametrize(
    ("start", "workdays", "expected"),
    [
        # 中秋 9/25–27 and 国庆 10/1–7 of 2026; Saturday 10/10 is a make-up working day.
        (date(2026, 9, 24), 12, date(2026, 10, 19)),
        (date(2026, 9, 24), 3, date(2026, 9, 30)),
        (date(2026, 9, 24), 4, date(2026, 10, 8)),
        (date(2026, 9, 24), 6, date(2026, 10, 10)),
        # 国庆 2024: Sunday 9/29 and Saturday 10/12 are worked.
        (date(2024, 9, 27), 1, date(2024, 9, 29)),
        (date(2024, 9, 27), 12, date(2024, 10, 18)),
        # 国庆+中秋 2025 (10/1–8), Sunday 9/28 and Saturday 10/11 worked.
        (date(2025, 9, 26), 3, date(2025, 9, 30)),
        (date(2025, 9, 26), 4, date(2025, 10, 9)),
        (date(2025, 9, 26), 6, date(2025, 10, 11)),
        # 春节 2024 (2/10–17): Sunday 2/18 is worked. A consultation's 3 days.
        (date(2024, 2, 8), 3, date(2024, 2, 19)),
        # 春节 2025 (1/28–2/4): Sunday 1/26 worked.
        (date(2025, 1, 24), 3, date(2025, 2, 5)),
        # 春节 2026 (2/15–23): Saturday 2/14 worked.
        (date(2026, 2, 12), 5, date(2026, 2, 26)),
        # 元旦 2026 (1/1–3): Sunday 1/4 worked.
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        # Accepted on a holiday: day 1 is the first working day after it.
        (date(2026, 10, 3), 1, date(2026, 10, 8)),
        # 即办: the same day, whatever the day.
        (date(2026, 10, 3), 0, date(2026, 10, 3)),
    ],
)
def test_add_workdays_across_holidays(start, workdays, expected):
    result = CAL.add_workdays(start, workdays)
    assert result.date == expected
    assert result.provisional is False


def test_counting_from_the_acceptance_day_when_configured():
    # 9/24 itself is day 1: one working day earlier than the default.
    assert INCLUSIVE.add_workdays(date(2026, 9, 24), 12).date == date(2026, 10, 16)
    assert INCLUSIVE.add_workdays(date(2026, 9, 24), 1).date == date(2026, 9, 24)
    # A holiday is not a working day, so day 1 is still the next working day.
    assert INCLUSIVE.add_workdays(date(2026, 10, 1), 1).date == date(2026, 10, 8)
    assert INCLUSIVE.workdays_between(date(2026, 9, 24), date(2026, 10, 16)).workdays == 12


def test_instants_count_by_their_local_date():
    # 2026-09-23 16:30 UTC is already 9/24 00:30 in Shanghai.
    late_utc = datetime(2026, 9, 23, 16, 30, tzinfo=UTC)
    assert CAL.add_workdays(late_utc, 12).date == date(2026, 10, 19)
    assert CAL.add_workdays(local(2026, 9, 24, 23, 59), 12).date == date(2026, 10, 19)
    assert CAL.add_workdays(datetime(2026, 9, 23, 15, 59, tzinfo=UTC), 1).date == date(2026, 9, 24)


def test_deadline_is_due_at_local_midnight_after_the_day():
    result = CAL.add_workdays(date(2026, 9, 24), 12)
    assert result.due_at == datetime(2026, 10, 19, 16, 0, tzinfo=UTC)
    assert result.due_at == local(2026, 10, 20, 0, 0)
    assert result.to_dict() == {"deadline": "2026-10-19", "provisional": False}
    assert result == Deadline(date(2026, 10, 19), False)


def test_workdays_between():
    assert CAL.workdays_between(date(2026, 9, 24), date(2026, 10, 19)) == (12, False)
    assert CAL.workdays_between(date(2026, 10, 19), date(2026, 9, 24)) == (-12, False)
    assert CAL.workdays_between(date(2026, 10, 1), date(2026, 10, 7)) == (0, False)
    assert CAL.workdays_between(date(2026, 10, 9), date(2026, 10, 10)) == (1, False)
    assert CAL.workdays_between(date(2026, 10, 9), date(2026, 10, 9)) == (0, False)


def test_single_days():
    assert CAL.kind(date(2026, 10, 10)) == "makeup_workday"
    assert CAL.kind(date(2026, 10, 11)) == "weekend"
    assert CAL.kind(date(2026, 10, 1)) == "holiday"
    assert CAL.is_workday(date(2026, 10, 10)) is True
    assert CAL.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_workday(date(2026, 9, 30), include_today=True) == date(2026, 9, 30)
    assert CAL.unknown_years(date(2026, 1, 1), date(2028, 1, 1)) == [2027, 2028]
    assert CAL.is_known(2026) and not CAL.is_known(2027)


# --------------------------------------------------------------------------- unknown years


def test_deadlines_into_2027_are_provisional_never_a_crash():
    result = CAL.add_workdays(date(2026, 12, 20), 12)
    # Dec 21–25 (5), 28–31 (9); 2027 falls back to Mon–Fri: Jan 1 (10), 4 (11), 5 (12).
    assert result.date == date(2027, 1, 5)
    assert result.provisional is True
    assert CAL.add_workdays(date(2026, 12, 1), 5) == Deadline(date(2026, 12, 8), False)
    assert CAL.add_workdays(date(2027, 3, 1), 1) == Deadline(date(2027, 3, 2), True)
    assert CAL.add_workdays(date(2026, 12, 31), 1000).provisional is True
    # (12/30, 1/4]: 12/31, then 1/1 (a Friday, by the fallback) and 1/4.
    assert CAL.workdays_between(date(2026, 12, 30), date(2027, 1, 4)) == (3, True)
    assert CAL.add_working_hours(local(2026, 12, 31, 17, 0), 1).provisional is True
    # Calendar hours never depend on the arrangement.
    assert CAL.add_calendar_hours(local(2026, 12, 31, 12, 0), 48).provisional is False


def test_a_calendar_without_data_is_monday_to_friday_and_provisional():
    cal = fallback_calendar()
    assert cal.add_workdays(date(2026, 9, 24), 12) == Deadline(date(2026, 10, 12), True)


def test_loading_a_year_makes_it_exact():
    parsed = parse_calendar_file(official_csv().read_bytes(), "official.csv")
    days = {e.date: e.kind for es in parsed.values() for e in es}
    days[date(2027, 1, 1)] = "holiday"
    cal = WorkdayCalendar(days, known_years=[2024, 2025, 2026, 2027])
    assert cal.add_workdays(date(2026, 12, 20), 12) == Deadline(date(2027, 1, 6), False)


# --------------------------------------------------------------------------- hours


def test_working_hours():
    add = CAL.add_working_hours
    # Thu 16:00 + 3h: 1.5h on Thursday, 中秋 weekend, 1.5h on Monday.
    assert add(local(2026, 9, 24, 16, 0), 3).due_at == local(2026, 9, 28, 10, 30)
    # A limit that ends at a closing time ends then, not at the next opening.
    assert add(local(2026, 9, 24, 9, 0), 3).due_at == local(2026, 9, 24, 12, 0)
    assert add(local(2026, 9, 24, 9, 0), 7).due_at == local(2026, 9, 24, 17, 30)
    # Lunch and early mornings are not office time.
    assert add(local(2026, 9, 24, 12, 30), 1).due_at == local(2026, 9, 24, 14, 30)
    assert add(local(2026, 9, 24, 7, 0), 1).due_at == local(2026, 9, 24, 10, 0)
    # After hours on Friday: the make-up Saturday 10/10 is a working day.
    result = add(local(2026, 10, 9, 20, 0), 1)
    assert result.due_at == local(2026, 10, 10, 10, 0)
    assert result.date == date(2026, 10, 10)
    assert result.provisional is False
    # Zero is the start itself.
    assert add(local(2026, 10, 9, 20, 0), 0).due_at == local(2026, 10, 9, 20, 0)
    # Minutes.
    assert add(local(2026, 9, 24, 11, 45), 0.5).due_at == local(2026, 9, 24, 13, 45)


def test_working_seconds_between_for_paused_time():
    ws = CAL.working_seconds_between
    assert ws(local(2026, 10, 16, 16, 30), local(2026, 10, 19, 10, 0)) == (7200, False)
    # Across 国庆: 30 minutes on 9/30, 30 minutes on 10/8.
    assert ws(local(2026, 9, 30, 17, 0), local(2026, 10, 8, 9, 30)) == (3600, False)
    assert ws(local(2026, 10, 8, 9, 30), local(2026, 9, 30, 17, 0)) == (-3600, False)
    assert ws(local(2026, 10, 3, 10, 0), local(2026, 10, 3, 15, 0)) == (0, False)


def test_calendar_hours():
    result = CAL.add_calendar_hours(local(2026, 9, 24, 16, 0), 48)
    assert result.due_at == local(2026, 9, 26, 16, 0)
    assert result.date == date(2026, 9, 26)
    assert result.provisional is False


def test_add_dispatches_on_unit():
    start = local(2026, 9, 24, 16, 0)
    assert CAL.add(start, 12, "working_days").date == date(2026, 10, 19)
    assert CAL.add(start, 12.0, "working_days").date == date(2026, 10, 19)
    assert CAL.add(start, 3, "working_hours").due_at == local(2026, 9, 28, 10, 30)
    assert CAL.add(start, 2, "calendar_hours").due_at == local(2026, 9, 24, 18, 0)
    with pytest.raises(Invalid) as err:
        CAL.add(start, 1, "fortnights")
    assert err.value.code == "sla.invalid_unit"


def test_office_hours_are_configurable():
    rules = WorkdayRules(office_hours=OfficeHours.parse("08:30-12:00, 14:00-18:00"))
    cal = CAL.with_rules(rules)
    assert rules.office_hours.seconds_per_day == 7.5 * 3600
    assert str(rules.office_hours) == "08:30-12:00,14:00-18:00"
    assert cal.add_working_hours(local(2026, 9, 24, 11, 0), 2).due_at == local(2026, 9, 24, 15, 0)
    # The day index is shared, not rebuilt.
    assert cal.add_workdays(date(2026, 9, 24), 12).date == date(2026, 10, 19)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "9-12",
        "09:00-08:00",
        "13:00-17:00,09:00-12:00",
        "09:00-12:00,11:00-13:00",
        "09:75-10:00",
        "23:00-24:30",
    ],
)
def test_bad_office_hours(spec):
    with pytest.raises(Invalid) as err:
        OfficeHours.parse(spec)
    assert err.value.code == "calendar.invalid_office_hours"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("workdays", [-1, 1001, 1.5, True, "3", float("nan")])
def test_absurd_workday_limits_are_refused(workdays):
    with pytest.raises(Invalid) as err:
        CAL.add_workdays(date(2026, 9, 24), workdays)
    assert err.value.code == "sla.invalid_limit"


@pytest.mark.parametrize(
    ("call", "amount"),
    [
        ("add_working_hours", -1),
        ("add_working_hours", 2001),
        ("add_calendar_hours", -0.5),
        ("add_calendar_hours", 10_000),
        ("add_working_hours", float("nan")),
    ],
)
def test_absurd_hour_limits_are_refused(call, amount):
    with pytest.raises(Invalid) as err:
        getattr(CAL, call)(local(2026, 9, 24, 9, 0), amount)
    assert err.value.code == "sla.invalid_limit"


def test_dates_out_of_range_are_refused():
    for bad in (date(1989, 12, 31), date(2106, 1, 1)):
        with pytest.raises(Invalid) as err:
            CAL.add_workdays(bad, 1)
        assert err.value.code == "calendar.out_of_range"
    with pytest.raises(Invalid) as err:
        CAL.add_workdays(INDEX_END - timedelta(days=10), 100)
    assert err.value.code == "calendar.out_of_range"
    with pytest.raises(Invalid) as err:
        WorkdayCalendar({date(2027, 1, 1): "holiday"}, known_years=[2101])
    assert err.value.code == "calendar.date_out_of_range"
    with pytest.raises(Invalid) as err:
        WorkdayCalendar({date(2027, 1, 1): "day_off"})
    assert err.value.code == "calendar.unknown_kind"


# --------------------------------------------------------------------------- properties

starts = st.dates(min_value=date(2003, 6, 1), max_value=date(2031, 12, 31))


@settings(max_examples=400, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=400))
def test_adding_then_counting_agree(start, n):
    for cal in (CAL, INCLUSIVE):
        result = cal.add_workdays(start, n)
        assert cal.is_workday(result.date)
        assert cal.workdays_between(start, result.date).workdays == n
        # The deadline is the earliest day that reaches n.
        if result.date > start:
            before = result.date - timedelta(days=1)
            assert cal.workdays_between(start, before).workdays == n - 1
        else:  # counting from the acceptance day, which is a working day
            assert (cal, n) == (INCLUSIVE, 1)
        unknown = {y for y in range(start.year, result.date.year + 1) if not 2004 <= y <= 2026}
        assert result.provisional is bool(unknown)


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 1)),
    n=st.integers(min_value=1, max_value=40),
)
def test_agrees_with_the_naive_loop_over_chinese_calendar(start, n):
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if day.year > 2026:
            return
        counted += chinese_calendar.is_workday(day)
    assert CAL.add_workdays(start, n) == Deadline(day, False)


minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


@settings(max_examples=300, deadline=None)
@given(day=starts, minute=minutes, seconds=st.integers(min_value=1, max_value=300 * 3600))
def test_working_seconds_add_then_measure_agree(day, minute, seconds):
    start = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=SH)
    result = CAL.add_working_seconds(start, seconds)
    assert CAL.working_seconds_between(start, result.due_at).seconds == seconds
    # One second earlier the budget was not yet used up.
    earlier = result.due_at - timedelta(seconds=1)
    assert CAL.working_seconds_between(start, earlier).seconds == seconds - 1
    assert result.due_at > start


@settings(max_examples=50, deadline=None)
@given(
    data=st.lists(
        st.tuples(starts, st.integers(min_value=0, max_value=200)), min_size=1, max_size=50
    ),
)
def test_vectorised_equals_scalar(data):
    days = np.array([d.isoformat() for d, _ in data], dtype="datetime64[D]")
    ns = np.array([n for _, n in data])
    dates, provisional = CAL.add_workdays_many(days, ns)
    for (d, n), got, prov in zip(data, dates, provisional, strict=True):
        expected = CAL.add_workdays(d, n)
        assert got.astype(object) == expected.date
        assert bool(prov) is expected.provisional
    counts, cprov = CAL.workdays_between_many(days, dates)
    for (_d, n), got, _prov in zip(data, counts, cprov, strict=True):
        assert int(got) == n


def test_vectorised_refuses_bad_input():
    with pytest.raises(Invalid) as err:
        CAL.add_workdays_many(np.array(["2026-09-24"], dtype="datetime64[D]"), [-1])
    assert err.value.code == "sla.invalid_limit"
    with pytest.raises(Invalid) as err:
        CAL.add_workdays_many(np.array(["1980-01-01"], dtype="datetime64[D]"), [1])
    assert err.value.code == "calendar.out_of_range"


def test_rules_come_from_the_settings():
    class Configured:
        calendar_count_from_next_day = False
        office_hours = "08:00-12:00"

    rules = rules_from_settings(Configured())  # type: ignore[arg-type]
    assert rules == WorkdayRules(False, OfficeHours(((8 * 3600, 12 * 3600),)))
    assert rules_from_settings(object()) == WorkdayRules()  # type: ignore[arg-type]
