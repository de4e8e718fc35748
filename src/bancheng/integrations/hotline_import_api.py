"""HTTP: ``/api/v1/imports`` (historical cases and 12345 work orders from Excel or CSV;
``case.import``). The import is ``integrations/hotline_import.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action, nothing_changed
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.errors import Invalid
from bancheng.integrations import hotline_import, hotline_import_rows
from bancheng.integrations.schemas import CaseImportReport, ImportField
from bancheng.org.scope import Principal, sees_unit, visible_units

router = api_router(tags=["insights"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_PREFIX = "/api/v1/imports"
MAX_REPORT_ROWS = 1000


def _report_out(report: hotline_import.Report, committed: bool) -> CaseImportReport:
    rows = [r for r in report.rows if r.status not in ("imported", "valid")]
    d = report.as_dict()
    d["rows"] = [dict(r.__dict__) for r in rows[:MAX_REPORT_ROWS]]
    return CaseImportReport(**d, committed=committed, rows_truncated=len(rows) > MAX_REPORT_ROWS)


def _receiving_unit(session: Session, principal: Principal, code: str) -> int:
    dept_id = hotline_import_rows.department_id_by_code(session, code.strip())
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
    mapped = hotline_import_rows.parse_mapping(mapping)
    if channel not in hotline_import_rows.CHOICES["channel"]:
        raise Invalid("import.channel_invalid", f"渠道不正确：{channel}", field="channel")
    channel = hotline_import_rows.CHOICES["channel"][channel]
    dept_id = _receiving_unit(session, principal, department)
    data = file.file.read(hotline_import_rows.MAX_IMPORT_BYTES + 1)
    header, rows = hotline_import_rows.read_upload(file.filename or "", data)
    report = hotline_import.import_rows(
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
        log_action(
            session,
            principal,
            "case.import",
            details={
                "file": file.filename,
                "source": source,
                "imported": report.imported,
                "duplicates": report.duplicates,
                "rejected": report.rejected,
            },
        )
    return _report_out(report, committed=committed)


@router.get(f"{IMPORT_PREFIX}/fields", response_model=list[ImportField])
def import_fields(principal: Principal = require("case.import")) -> list[ImportField]:
    """The fields a row may carry, their Chinese names and default column headers (the
    ledger export's headers) and which are required: the console's mapping table."""
    return [
        ImportField(
            field=f,
            label=hotline_import_rows.FIELD_LABELS_ZH.get(f, f),
            header=hotline_import_rows.DEFAULT_MAPPING.get(f, ""),
            required=f in hotline_import_rows.REQUIRED_FIELDS,
        )
        for f in hotline_import_rows.FIELDS
    ]


@router.get(f"{IMPORT_PREFIX}/template.xlsx", response_class=Response)
def import_template(principal: Principal = require("case.import")) -> Response:
    """An empty workbook with the default column headers and a sheet explaining them."""
    return Response(
        hotline_import_rows.template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="case-import-template.xlsx"'},
    )
