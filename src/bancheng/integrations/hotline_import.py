"""Import historical cases and 12345 work orders from Excel or CSV.

Two phases. First every row is validated in full and checked for duplicates: a row whose
(source, external id) is already registered, or came earlier in the file, is reported as
a duplicate, so re-running adds nothing. Then, unless some row was rejected (all or
nothing per file by default; ``skip_invalid``: write the valid rows and report the
others), the rows are written in batches of ``BATCH_SIZE``: one number block per
(jurisdiction, year) per batch (``cases.numbering.allocate_number_block``, numbers
consecutive in file order within the year the case was registered), multi-row INSERTs of
the cases, their units, their timeline event ``import`` and the register rows in
``imported_work_orders``. Open orders get their deadlines from the one rule
(``cases.case_clock.clock_fields``) with the calendar and the active policies read once.

``dry_run`` validates every row and looks for duplicates without writing anything.
Reading and validating the rows: ``integrations/hotline_import_rows.py``; the batch
writer: ``integrations/hotline_import_writer.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core.config import Settings
from bancheng.core.errors import Invalid
from bancheng.integrations import repository
from bancheng.integrations.hotline_import_rows import (
    FIELD_LABELS_ZH,
    REQUIRED_FIELDS,
    Lookups,
    cell_text,
    validate,
)
from bancheng.integrations.hotline_import_writer import BatchWriter

# Rows per multi-row INSERT and per number block.
BATCH_SIZE = 5000


@dataclass
class RowResult:
    row: int
    status: str  # imported | valid (dry run) | duplicate | rejected
    external_id: str | None = None
    errors: list[str] = field(default_factory=list)
    number: str | None = None
    # The errors again, with the file's column and the reason in Chinese.
    problems: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Report:
    source: str
    dry_run: bool = False
    total: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    # Rows were rejected and ``skip_invalid`` was not given: nothing was written; the
    # valid rows are reported as ``valid`` and counted in ``imported`` as in a dry run.
    refused: bool = False

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _problem(error: str, mapping: dict[str, str]) -> dict[str, str]:
    """``"field: reason"`` → the field, the file's column for it and the reason."""
    name, sep, reason = error.partition(": ")
    if not sep or name not in FIELD_LABELS_ZH:
        return {"field": "", "column": "", "reason": error}
    column = mapping.get(name) or FIELD_LABELS_ZH[name]
    if name == "matter" and not mapping.get("matter"):
        column = mapping.get("matter_code", column)
    return {"field": name, "column": column, "reason": f"{FIELD_LABELS_ZH[name]}：{reason}"}


def import_rows(
    session: Session,
    settings: Settings,
    header: list[str],
    data: Iterable[list[Any]],
    mapping: dict[str, str],
    source: str,
    department_id: int,
    default_channel: str = "transfer_12345",
    progress: Callable[[str, int, int], None] | None = None,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    allowed_departments: frozenset[int] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Report:
    """Import the rows; ``dry_run``: validate and look for duplicates, write nothing.
    With a rejected row nothing is written (``Report.refused``) unless ``skip_invalid``.
    ``allowed_departments`` (None: any): a row naming a department outside them is
    rejected (the importer's data scope). ``progress(stage, rows, total)`` is called as
    rows are validated (stage ``validate``) and as batches are written (``write``)."""
    report = Report(source=source, dry_run=dry_run)
    index = {h: i for i, h in enumerate(header) if h}
    used = {h for f, h in mapping.items() if h in index}
    report.missing_columns = sorted(
        {mapping.get(f) or f for f in REQUIRED_FIELDS if mapping.get(f) not in index}
    )
    report.extra_columns = sorted(set(index) - used)
    if repository.department(session, department_id) is None:
        raise Invalid("import.department_not_found", "默认受理部门不存在")
    lk = Lookups(session)
    lines = data if isinstance(data, list) else list(data)
    valid: list[tuple[RowResult, dict[str, Any]]] = []
    for n, values in enumerate(lines, start=2):  # row 1 is the header
        if progress:
            progress("validate", 1, len(lines))
        if all(cell_text(x) == "" for x in values):
            continue
        report.total += 1
        raw = {
            f: (values[index[h]] if h in index and index[h] < len(values) else None)
            for f, h in mapping.items()
        }
        v, errors = validate(raw, lk, default_channel)
        if (
            allowed_departments is not None
            and v.get("department_id")
            and v["department_id"] not in allowed_departments
        ):
            errors.append(f"department: 不在您的数据范围内（{cell_text(raw.get('department'))}）")
        ext = v["external_id"] or None
        result = RowResult(row=n, status="rejected", external_id=ext, errors=errors)
        report.rows.append(result)
        if errors:
            result.problems = [_problem(e, mapping) for e in errors]
            report.rejected += 1
            continue
        valid.append((result, v))
    todo = _without_duplicates(session, source, valid, mapping, batch_size)
    report.duplicates = len(valid) - len(todo)
    report.imported = len(todo)
    if dry_run or (report.rejected and not skip_invalid):
        report.refused = not dry_run
        for result, _ in todo:
            result.status = "valid"
        return report
    writer = BatchWriter(session, settings, source, department_id)
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        writer.write(batch)
        if progress:
            progress("write", len(batch), len(todo))
    writer.finish()
    return report


def _without_duplicates(
    session: Session,
    source: str,
    valid: list[tuple[RowResult, dict[str, Any]]],
    mapping: dict[str, str],
    batch_size: int,
) -> list[tuple[RowResult, dict[str, Any]]]:
    """The valid rows that are neither registered already (one IN query per batch) nor
    repeat an earlier row of the file; the others are marked duplicates."""
    todo = []
    seen: set[str] = set()
    for start in range(0, len(valid), batch_size):
        batch = valid[start : start + batch_size]
        ids = sorted({v["external_id"] for _, v in batch})
        registered = repository.imported_ids(session, source, ids)
        for result, v in batch:
            ext = v["external_id"]
            if ext in registered or ext in seen:
                result.status = "duplicate"
                result.errors = ["工单已导入" if ext in registered else "文件内重复的工单编号"]
                result.problems = [
                    {
                        "field": "external_id",
                        "column": mapping.get("external_id", ""),
                        "reason": result.errors[0],
                    }
                ]
                continue
            seen.add(ext)
            todo.append((result, v))
    return todo
