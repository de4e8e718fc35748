"""好差评 data out of bancheng: the evaluations of a period in the documented field set, as
JSON or as the batch file (CSV) the unified system imports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response

from bancheng.audit.service import log_action
from bancheng.core.deps import DB, api_router, require
from bancheng.core.errors import Invalid
from bancheng.integrations import haochaping
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/haochaping", tags=["haochaping"])
MAX_DAYS = 366


def _range(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise Invalid("haochaping.invalid_range", "结束日期早于开始日期", field="date_to")
    if (date_to - date_from).days >= MAX_DAYS:
        raise Invalid("haochaping.range_too_long", "一次最多导出366天的评价", field="date_to")


@router.get("/evaluations")
def list_evaluations(
    session: DB,
    date_from: Annotated[date, Query()],
    date_to: Annotated[date, Query()],
    p: Principal = require("haochaping.export"),
) -> list[dict[str, Any]]:
    """The period's evaluations (local dates, inclusive) on cases in the caller's scope,
    each in the field set of docs/integrations.md."""
    _range(date_from, date_to)
    return list(haochaping.evaluations(session, p, date_from, date_to))


@router.get("/evaluations.csv")
def export_evaluations(
    request: Request,
    session: DB,
    date_from: Annotated[date, Query()],
    date_to: Annotated[date, Query()],
    p: Principal = require("haochaping.export"),
) -> Response:
    """The batch file (UTF-8 CSV with a Chinese header row)."""
    _range(date_from, date_to)
    records = list(haochaping.evaluations(session, p, date_from, date_to))
    details = {"from": date_from.isoformat(), "to": date_to.isoformat(), "rows": len(records)}
    log_action(session, p, f"GET {request.url.path}", "evaluation", details=details)
    name = f"haochaping-{date_from.isoformat()}-{date_to.isoformat()}.csv"
    return Response(
        haochaping.to_csv(iter(records)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
