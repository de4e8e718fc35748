"""Bodies of the integrations' HTTP answers: the 12345 work-order import's report and
its field list (``integrations/hotline_import_api.py``)."""

from __future__ import annotations

from pydantic import BaseModel


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


class ImportField(BaseModel):
    field: str
    label: str
    header: str
    required: bool
