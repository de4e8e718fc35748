"""Shared inputs of the sla tests: the official 2024–2026 file and a synthetic 2027."""

from __future__ import annotations

import csv
import os
from datetime import date
from functools import cache
from pathlib import Path

import pytest

# A policy that is not seeded: the director's hotline, 2 working hours to respond and 48
# calendar hours to resolve.
DIRECTOR_HOTLINE_POLICY = {
    "name": "局长热线 48 小时",
    "channel": "director_hotline",
    "response_limit": 2,
    "response_unit": "working_hours",
    "resolution_limit": 48,
    "resolution_unit": "calendar_hours",
}

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
OFFICIAL_CSV = SHARED / "data" / "calendar" / "cn_state_council_holidays_2024_2026.csv"


def official_csv() -> Path:
    """The State Council arrangements of 2024–2026. CI always has ../shared beside the
    project, so there its absence fails the run; elsewhere the test is skipped."""
    if not SHARED.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("../shared is missing beside the project")
        pytest.skip("../shared is not checked out beside the project")
    return OFFICIAL_CSV


@cache
def official_rows() -> dict[date, str]:
    with official_csv().open(encoding="utf-8") as fh:
        return {date.fromisoformat(r["date"]): r["kind"] for r in csv.DictReader(fh)}


def expected_kind(day: date) -> str:
    """What the official file says about a day of 2024–2026."""
    listed = official_rows().get(day)
    if listed is not None:
        return listed
    return "weekend" if day.weekday() >= 5 else "workday"


# A made-up arrangement for 2027, shaped like a real one (one row per day off, make-up
# weekend days, every statutory festival). It is test data, NOT the official 2027 notice.
SYNTHETIC_2027_ROWS: list[tuple[str, str, str]] = [
    ("2027-01-01", "holiday", "元旦"),
    ("2027-02-06", "holiday", "春节"),
    ("2027-02-07", "holiday", "春节"),
    ("2027-02-08", "holiday", "春节"),
    ("2027-02-09", "holiday", "春节"),
    ("2027-02-10", "holiday", "春节"),
    ("2027-02-11", "holiday", "春节"),
    ("2027-02-12", "holiday", "春节"),
    ("2027-02-20", "makeup_workday", "春节"),
    ("2027-04-05", "holiday", "清明节"),
    ("2027-05-03", "holiday", "劳动节"),
    ("2027-06-09", "holiday", "端午节"),
    ("2027-09-15", "holiday", "中秋节"),
    ("2027-09-26", "makeup_workday", "国庆节"),
    ("2027-10-01", "holiday", "国庆节"),
    ("2027-10-04", "holiday", "国庆节"),
    ("2027-10-05", "holiday", "国庆节"),
    ("2027-10-06", "holiday", "国庆节"),
    ("2027-10-07", "holiday", "国庆节"),
]


def synthetic_2027_csv(extra: str = "", *, drop: set[str] | None = None) -> bytes:
    lines = ["date,year,kind,festival,source"]
    for d, kind, festival in SYNTHETIC_2027_ROWS:
        if drop and d in drop:
            continue
        lines.append(f"{d},{d[:4]},{kind},{festival},test fixture")
    text = "\n".join(lines) + "\n" + extra
    return text.encode("utf-8")
