"""HTTP: ``/api/v1/insights`` (figures, assessment, daily summary as JSON, Excel and PDF;
``insights.read``) and ``/api/v1/exports/cases.xlsx`` (the ledger under the current
filters; ``case.export``). The import of historical cases and 12345 work orders is
``integrations/hotline_import_api.py``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from bancheng.audit.service import log_action
from bancheng.cases.api import parse_filter
from bancheng.cases.schemas import CaseFilter
from bancheng.core import clock
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.errors import Invalid
from bancheng.core.inputs import PERIOD_KEY_PATTERN
from bancheng.core.tempfiles import stream_file
from bancheng.insights import export, service, summary
from bancheng.org.scope import Principal

router = api_router(tags=["insights"])
PREFIX = "/api/v1/insights"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "A4 PDF"},
    503: {"description": "print.font_missing: no CJK font installed on the server"},
}

Period = Literal["day", "week", "month", "quarter", "year"]
Dimension = Literal[
    "department", "hall", "channel", "kind", "blocker_type", "matter", "difficulty", "nature"
]


def _check_range(f: date | None, t: date | None) -> None:
    if f and t and f > t:
        raise Invalid("insights.invalid_range", "开始日期晚于结束日期")
    if f and t and (t - f).days > 3660:
        raise Invalid("insights.range_too_long", "时间跨度不能超过十年")


@router.get(f"{PREFIX}/overview")
def overview(
    session: DB,
    date_from: date | None = None,
    date_to: date | None = None,
    principal: Principal = require("insights.read"),
) -> dict[str, Any]:
    """Counters, rates (with their definitions) and lights over a date range (default 30 days)."""
    _check_range(date_from, date_to)
    return service.overview(session, principal, date_from, date_to)


@router.get(f"{PREFIX}/trend")
def trend(
    session: DB,
    period: Period = "day",
    date_from: date | None = None,
    date_to: date | None = None,
    principal: Principal = require("insights.read"),
) -> list[dict[str, Any]]:
    """Counters and rates per day, week, month, quarter or year (Asia/Shanghai)."""
    _check_range(date_from, date_to)
    return service.trend(session, principal, period, date_from, date_to)


@router.get(f"{PREFIX}/breakdown")
def breakdown(
    session: DB,
    dimension: Dimension = "department",
    date_from: date | None = None,
    date_to: date | None = None,
    rollup: bool = True,
    principal: Principal = require("insights.read"),
) -> list[dict[str, Any]]:
    """Counters and rates by department (rolled up through the tree), hall, channel, kind,
    main blocker type, matter, difficulty or nature."""
    _check_range(date_from, date_to)
    return service.breakdown(session, principal, dimension, date_from, date_to, rollup)


@router.get(f"{PREFIX}/assessment")
def assessment(
    session: DB,
    settings: Conf,
    unit: Literal["department", "hall"] = "department",
    period: Literal["month", "quarter"] = "month",
    key: Annotated[str | None, Query(pattern=PERIOD_KEY_PATTERN)] = None,
    bottom: Annotated[int, Query(ge=0, le=50)] = 3,
    principal: Principal = require("insights.read"),
) -> dict[str, Any]:
    """Weighted scores, ranking, and the units in the bottom places two periods running."""
    if key and (("Q" in key) != (period == "quarter")):
        raise Invalid("insights.invalid_period", "周期与期间编号不匹配")
    return service.assessment(session, principal, settings, unit, period, key, bottom)


@router.get(f"{PREFIX}/daily-summary")
def daily_summary(
    session: DB,
    day: date | None = None,
    principal: Principal = require("insights.read"),
) -> dict[str, Any]:
    """每日汇总 of one day (default today), within the caller's scope."""
    return summary.daily_summary(session, principal, day or clock.local_today())


@router.get(f"{PREFIX}/daily-summary.xlsx")
def daily_summary_xlsx(
    session: DB,
    day: date | None = None,
    principal: Principal = require("insights.read"),
) -> Response:
    data = summary.daily_summary(session, principal, day or clock.local_today())
    return Response(
        summary.summary_xlsx(data),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="daily-summary-{data["date"]}.xlsx"'
        },
    )


@router.get(f"{PREFIX}/daily-summary.pdf", response_class=Response, responses=PDF_RESPONSES)
def daily_summary_pdf(
    session: DB,
    settings: Conf,
    day: date | None = None,
    principal: Principal = require("insights.read"),
) -> Response:
    """每日汇总 as an A4 PDF (same figures and scope as the JSON). Without a CJK font on the
    server: 503 ``print.font_missing``."""
    data = summary.daily_summary(session, principal, day or clock.local_today())
    return Response(
        summary.summary_pdf(data, settings.cjk_font_path),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="daily-summary-{data["date"]}.pdf"'},
    )


@router.post(f"{PREFIX}/rollup")
def rebuild_rollup(
    session: DB,
    settings: Conf,
    principal: Principal = require("insights.manage"),
) -> dict[str, Any]:
    """Rebuild the rollup for the recent days (``BANCHENG_INSIGHTS_ROLLUP_DAYS``)."""
    return service.refresh_rollup(session, settings.insights_rollup_days)


@router.get("/api/v1/exports/cases.xlsx")
def export_cases(
    request: Request,
    session: DB,
    f: CaseFilter = Depends(parse_filter),
    principal: Principal = require("case.export"),
) -> StreamingResponse:
    """The ledger under the given filters (same parameters as ``GET /api/v1/cases``; paging
    is ignored), personal data masked. Written to a temporary file, then streamed."""
    path, n = export.write_xlsx(session, principal, f)
    log_action(
        session,
        principal,
        "case.export",
        details={"rows": n, "filters": str(request.query_params)},
    )
    name = f"cases-{clock.local_today().isoformat()}.xlsx"
    return StreamingResponse(
        stream_file(path),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Row-Count": str(n)},
    )
