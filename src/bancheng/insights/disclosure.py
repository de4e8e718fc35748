"""Public disclosure (国办发〔2019〕51号: evaluation results and rectifications are made
public): a month's figures, its units' figures and its rectifications of bad reviews,
anonymised, for the phone site. Figures come from the same rollup as the console's
statistics, over every unit; rectification texts go through the case library's masker."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.errors import Invalid
from bancheng.insights import service
from bancheng.insights.repository import reports
from bancheng.knowledge.masker import mask
from bancheng.org.scope import department_name_map, every_unit

# The public sees figures over every unit, and nothing else: no case, no person.
EVERY_UNIT = every_unit("disclosure", "公开", "public")
RATES = ("on_time", "satisfaction", "bad_review", "rectification")
RECTIFICATION_STATUS_ZH = {
    "open": "整改中",
    "done": "已整改",
    "appealed": "申诉审核中",
    "overturned": "经核查撤销",
}
MONTHS_LISTED = 12
MAX_RECTIFICATIONS = 200
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def parse_month(value: str | None) -> date:
    """The first day of ``YYYY-MM`` (default: this month), not in the future."""
    today = clock.local_today()
    if value is None:
        return today.replace(day=1)
    m = _MONTH.match(value)
    first: date | None = None
    if m:
        try:
            first = date(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            first = None
    if first is None or first.year < 2000:
        raise Invalid("disclosure.invalid_month", "月份格式应为“2026-11”", field="month")
    if first > today:
        raise Invalid("disclosure.future_month", "该月份尚未开始", field="month")
    return first


def _month_end(first: date) -> date:
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def _figures(counts: dict[str, int], rates: dict[str, float | None]) -> dict[str, Any]:
    return {
        "registered": counts["registered"],
        "resolved": counts["resolved"],
        "rated": counts["rated"],
        "rates": {k: rates[k] for k in RATES},
    }


def month_disclosure(session: Session, value: str | None) -> dict[str, Any]:
    first = parse_month(value)
    last = min(_month_end(first), clock.local_today())
    over = service.overview(session, EVERY_UNIT, first, last)
    units = [
        {"name": u["name"], **_figures(u["counts"], u["rates"])}
        for u in service.breakdown(session, EVERY_UNIT, "department", first, last, False)
        if u["counts"]["registered"] and u["key"] is not None
    ]
    start = datetime.combine(first, time(), clock.SHANGHAI).astimezone(UTC)
    end = datetime.combine(_month_end(first) + timedelta(days=1), time(), clock.SHANGHAI)
    names = department_name_map(session)
    rows = reports.rectifications_opened(session, start, end, MAX_RECTIFICATIONS)
    rectifications = [
        {
            "unit": names.get(r.department_id, ""),
            "matter": matter or "其他事项",
            "status": r.status,
            "status_label": RECTIFICATION_STATUS_ZH.get(r.status, "整改中"),
            "opened_on": clock.to_local(r.created_at).date(),
            "due_date": r.due_date,
            "completed_on": clock.to_local(r.completed_at).date() if r.completed_at else None,
            # What was done, without the people: names, phones, ID numbers, addresses.
            "result": mask(r.note, [reporter])[:300] if r.note and r.status == "done" else None,
        }
        for r, reporter, matter in rows
    ]
    this_month = clock.local_today().replace(day=1)
    months = []
    m = this_month
    for _ in range(MONTHS_LISTED):
        months.append(f"{m.year:04d}-{m.month:02d}")
        m = (m - timedelta(days=1)).replace(day=1)
    return {
        "month": f"{first.year:04d}-{first.month:02d}",
        "date_from": first,
        "date_to": last,
        "months": months,
        "totals": _figures(over["counts"], over["rates"]),
        "units": units,
        "rectifications": rectifications,
        "as_of": over["rollup_refreshed_at"],
    }
