"""HTTP: ``/api/v1/insights`` (figures, assessment, daily summary as JSON, Excel and PDF;
``insights.read``), ``/api/v1/exports/cases.xlsx`` (the ledger under the current filters;
``case.export``) and ``/api/v1/imports`` (historical cases and 12345 work orders from
Excel or CSV; ``case.import``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation, nothing_changed
from bancheng.cases.api import parse_filter
from bancheng.cases.schemas import CaseFilter
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, db_session, require
from bancheng.core.errors import Invalid
from bancheng.core.inputs import PERIOD_KEY_PATTERN
from bancheng.insights import export, importer, service, summary
from bancheng.org.models import Department
from bancheng.org.scope import Principal, sees_unit, visible_units

router = api_router(tags=["insights"])
DB = Annotated[Session, Depends(db_session)]
Conf = Annotated[Settings, Depends(get_settings)]
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
    log_operation(
        session,
        actor_id=principal.user_id,
        actor_name=principal.username,
        action="case.export",
        outcome="ok",
        ip=principal.ip,
        details={"rows": n, "filters": str(request.query_params)},
    )
    name = f"cases-{clock.local_today().isoformat()}.xlsx"
    return StreamingResponse(
        export.stream_file(path),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Row-Count": str(n)},
    )


# --- import ------------------------------------------------------------------------------

IMPORT_PREFIX = "/api/v1/imports"
MAX_REPORT_ROWS = 1000


class ImportProblem(BaseModel):
    field: str
    column: str
    reason: str


class ImportRow(BaseModel):
    row: int
    status: str
    external_id: str | None = None
    number: str | None = None
    errors: list[str] = []
    problems: list[ImportProblem] = []


class CaseImportReport(BaseModel):
    """``imported``: rows written (in a dry run: rows that would be). ``rows``: the rows
    not imported (duplicates, rejected), at most 1000."""

    source: str
    dry_run: bool
    committed: bool
    total: int
    imported: int
    duplicates: int
    rejected: int
    missing_columns: list[str]
    extra_columns: list[str]
    rows: list[ImportRow]
    rows_truncated: bool = False


def _report_out(report: importer.Report, committed: bool) -> CaseImportReport:
    rows = [r for r in report.rows if r.status not in ("imported", "valid")]
    d = report.as_dict()
    d["rows"] = [dict(r.__dict__) for r in rows[:MAX_REPORT_ROWS]]
    return CaseImportReport(**d, committed=committed, rows_truncated=len(rows) > MAX_REPORT_ROWS)


def _receiving_unit(session: Session, principal: Principal, code: str) -> int:
    dept_id = session.scalar(select(Department.id).where(Department.code == code.strip()))
    if dept_id is None:
        raise Invalid(
            "import.department_not_found", f"受理单位编码不存在：{code}", field="department"
        )
    if not sees_unit(principal, dept_id):
        raise Invalid(
            "import.department_out_of_scope", "受理单位不在您的数据范围内", field="department"
        )
    return dept_id


@router.post(f"{IMPORT_PREFIX}/cases", response_model=CaseImportReport)
def import_cases(
    session: DB,
    settings: Conf,
    file: Annotated[UploadFile, File(description=".xlsx 或 .csv（UTF-8/GBK），不超过20MB")],
    department: Annotated[str, Form(min_length=1, max_length=64, description="受理单位编码")],
    source: Annotated[str, Form(min_length=1, max_length=32, pattern=r"^[\w.-]+$")] = "12345",
    channel: Annotated[str, Form(max_length=32)] = "transfer_12345",
    mapping: Annotated[str | None, Form(max_length=20000, description="JSON：字段→列名")] = None,
    dry_run: Annotated[bool, Form()] = False,
    skip_invalid: Annotated[bool, Form()] = False,
    principal: Principal = require("case.import"),
) -> CaseImportReport:
    """Import historical cases or 12345 work orders. Every row is validated; a row whose
    (source, external id) was imported before is a duplicate and skipped, so re-running a
    file adds nothing. With any rejected row nothing is written and the answer is 400
    ``import.rows_rejected`` with the report (``report``), unless ``skip_invalid``.
    ``dry_run``: the report only, nothing written."""
    mapped = importer.parse_mapping(mapping)
    if channel not in importer.CHOICES["channel"]:
        raise Invalid("import.channel_invalid", f"渠道不正确：{channel}", field="channel")
    channel = importer.CHOICES["channel"][channel]
    dept_id = _receiving_unit(session, principal, department)
    data = file.file.read(importer.MAX_IMPORT_BYTES + 1)
    header, rows = importer.read_upload(file.filename or "", data)
    report = importer.import_rows(
        session,
        settings,
        header,
        iter(rows),
        mapped,
        source,
        dept_id,
        channel,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        allowed_departments=visible_units(principal),
    )
    if report.total == 0:
        raise Invalid("import.empty", "文件中没有数据行")
    if report.refused:
        # Nothing partial: the importer wrote nothing.
        raise Invalid(
            "import.rows_rejected",
            f"有 {report.rejected} 行无法导入，未导入任何数据",
            report=_report_out(report, committed=False).model_dump(),
        )
    committed = not dry_run and report.imported > 0
    if dry_run:
        nothing_changed(session)
    else:
        log_operation(
            session,
            actor_id=principal.user_id,
            actor_name=principal.username,
            action="case.import",
            outcome="ok",
            ip=principal.ip,
            details={
                "file": file.filename,
                "source": source,
                "imported": report.imported,
                "duplicates": report.duplicates,
                "rejected": report.rejected,
            },
        )
    return _report_out(report, committed=committed)


class ImportField(BaseModel):
    field: str
    label: str
    header: str
    required: bool


@router.get(f"{IMPORT_PREFIX}/fields", response_model=list[ImportField])
def import_fields(principal: Principal = require("case.import")) -> list[ImportField]:
    """The fields a row may carry, their Chinese names and default column headers (the
    ledger export's headers) and which are required: the console's mapping table."""
    return [
        ImportField(
            field=f,
            label=importer.FIELD_LABELS_ZH.get(f, f),
            header=importer.DEFAULT_MAPPING.get(f, ""),
            required=f in importer.REQUIRED_FIELDS,
        )
        for f in importer.FIELDS
    ]


@router.get(f"{IMPORT_PREFIX}/template.xlsx", response_class=Response)
def import_template(principal: Principal = require("case.import")) -> Response:
    """An empty workbook with the default column headers and a sheet explaining them."""
    return Response(
        importer.template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="case-import-template.xlsx"'},
    )
