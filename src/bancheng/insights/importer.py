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
(``sla.case_clock.clock_fields``) with the calendar and the active policies read once.

``dry_run`` validates every row and looks for duplicates without writing anything. Uploads
through the API (``read_upload``) are limited to ``MAX_IMPORT_BYTES`` and must be an .xlsx
workbook (recognised by its content) or a CSV text file."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Table, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bancheng.cases.enums import (
    LABELS_ZH,
    OPEN_STATES,
    BlockerType,
    Channel,
    Difficulty,
    Kind,
    Rating,
    State,
)
from bancheng.cases.models import Case, CaseDepartment, CaseEvent
from bancheng.cases.numbering import allocate_number_block
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.core.config import Settings
from bancheng.core.crypto import get_crypto
from bancheng.core.errors import Invalid, TooLarge
from bancheng.core.inputs import FIRST_YEAR, LAST_YEAR, without_forbidden_characters
from bancheng.core.validators import mask_phone, normalize_phone
from bancheng.insights.export import COLUMNS
from bancheng.insights.models import ImportedWorkOrder, mark_days_dirty
from bancheng.org.models import Department, Hall, Matter
from bancheng.sla import case_clock
from bancheng.sla.calendar import load_calendar
from bancheng.sla.workdays import WorkdayCalendar

FIELDS = (
    "external_id",
    "hotline_order_number",
    "title",
    "description",
    "reporter_name",
    "reporter_phone",
    "registered_at",
    "channel",
    "kind",
    "difficulty",
    "blocker_type",
    "state",
    "reporter_type",
    "reporter_org_name",
    "matter_code",
    "matter",
    "hall",
    "department",
    "transfer_count",
    "return_count",
    "resolved_on_spot",
    "resolution",
    "rating",
    "due_at",
    "resolved_at",
)
REQUIRED = ("external_id", "title", "description", "reporter_name", "registered_at")
# Also required, checked on its own (a masked number is accepted): the report's missing
# columns, the template and the console's mapping table use this list.
REQUIRED_FIELDS = (*REQUIRED, "reporter_phone")
# The export's headers read back; the ledger number becomes the external id.
DEFAULT_MAPPING: dict[str, str] = {f: h for h, f in COLUMNS if f in FIELDS}
DEFAULT_MAPPING["external_id"] = "编号"
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
# "2026-11-21", "2026-11-21 09:30", "2026-11-21 09:30:00": the same as DATE_FORMATS' first
# three, read by datetime.fromisoformat (strptime is the import's slowest step).
ISO_SHAPED = re.compile(r"^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
FIELD_LABELS_ZH: dict[str, str] = {
    "external_id": "工单编号",
    "hotline_order_number": "12345工单号",
    "title": "标题",
    "description": "诉求内容",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
    "registered_at": "登记时间",
    "channel": "渠道",
    "kind": "类型",
    "difficulty": "难度",
    "blocker_type": "堵点类型",
    "state": "状态",
    "reporter_type": "反映人类型",
    "reporter_org_name": "企业名称",
    "matter_code": "事项编码",
    "matter": "事项",
    "hall": "大厅",
    "department": "当前部门",
    "transfer_count": "转办次数",
    "return_count": "退回次数",
    "resolved_on_spot": "现场办结",
    "resolution": "办理结果",
    "rating": "评价",
    "due_at": "办结期限",
    "resolved_at": "办结时间",
}
# Rows per multi-row INSERT and per number block.
BATCH_SIZE = 5000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls, .doc


def parse_mapping(text: str | None, *, from_file: bool = False) -> dict[str, str]:
    """A JSON object or ``field=header,...``; merged over defaults. ``from_file`` (the
    command line only, never an HTTP request): ``text`` may name a file holding it."""
    mapping = dict(DEFAULT_MAPPING)
    if not text:
        return mapping
    if from_file and len(text) < 4096 and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    if text.strip().startswith("{"):
        try:
            given = json.loads(text)
        except ValueError as exc:
            raise Invalid("import.mapping_invalid", "列映射不是有效的JSON") from exc
        if not isinstance(given, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in given.items()
        ):
            raise Invalid("import.mapping_invalid", "列映射须为“字段: 列名”的JSON对象")
    else:
        given = dict(p.split("=", 1) for p in text.split(",") if "=" in p)
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise Invalid("import.unknown_field", f"映射中有未知字段：{', '.join(unknown)}")
    mapping.update({k.strip(): v.strip() for k, v in given.items()})
    return mapping


def read_table(path: Path) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and data rows of an .xlsx or .csv file (CSV: UTF-8 with or without BOM, GBK)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, ())]
        return header, (list(r) for r in it)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gbk")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    return header, (list(r) for r in reader)


def read_upload(filename: str, data: bytes) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of an uploaded file. An .xlsx workbook is recognised by its content
    (a ZIP that openpyxl opens), anything else must be CSV text in UTF-8 or GBK."""
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge(
            "import.too_large", f"文件超过{MAX_IMPORT_BYTES // (1024 * 1024)}MB上限，请拆分后导入"
        )
    if not data.strip():
        raise Invalid("import.empty", "文件是空的")
    suffix = Path(filename).suffix.lower()
    if data.startswith(ZIP_MAGIC):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            ws = wb.worksheets[0]
            it = ws.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, ())]
            rows = [list(r) for r in it]
            wb.close()
        except Exception as exc:
            raise Invalid(
                "import.type_not_allowed", "只能导入Excel工作簿（.xlsx）或CSV文件"
            ) from exc
        return header, rows
    if data.startswith(OLE_MAGIC):
        raise Invalid("import.xls_not_supported", "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV")
    if suffix in (".xlsx", ".xlsm") or b"\x00" in data[:65536]:
        raise Invalid("import.type_not_allowed", "只能导入Excel工作簿（.xlsx）或CSV文件")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise Invalid("import.encoding", "无法识别文件编码（请使用UTF-8或GBK）") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
        rows = [list(r) for r in reader]
    except csv.Error as exc:
        raise Invalid("import.type_not_allowed", "CSV文件格式不正确") from exc
    return header, rows


def template_xlsx() -> bytes:
    """An empty workbook with the default mapping's headers, and a sheet explaining them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "导入数据"
    fields = [f for f in FIELDS if f in DEFAULT_MAPPING]
    ws.append([DEFAULT_MAPPING[f] for f in fields])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, f in enumerate(fields, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(f) + 4)
    notes = wb.create_sheet("字段说明")
    notes.append(["列名", "字段", "说明", "必填"])
    for f in fields:
        notes.append(
            [DEFAULT_MAPPING[f], f, FIELD_LABELS_ZH.get(f, f), "是" if f in REQUIRED_FIELDS else ""]
        )
    notes.append([])
    notes.append(["日期格式：2026-11-21 09:30、2026/11/21、2026.11.21、20261121、2026年11月21日"])
    notes.append(["渠道、类型、难易程度、堵点类型、状态、评价可填中文名称或代码"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _reverse(group: str, enum: Any) -> dict[str, str]:
    out = {e.value: e.value for e in enum}
    out.update({label: code for code, label in LABELS_ZH[group].items()})
    return out


CHOICES = {
    "channel": _reverse("channel", Channel),
    "kind": _reverse("kind", Kind),
    "difficulty": _reverse("difficulty", Difficulty),
    "blocker_type": _reverse("blocker_type", BlockerType),
    "state": _reverse("state", State),
    "rating": _reverse("rating", Rating),
}


def parse_datetime(value: Any) -> datetime:
    try:
        moment = _parse_datetime(value)
    except OverflowError:  # year 1 moved to UTC+8
        raise ValueError(value) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # the input rules' years (core/inputs)
        raise ValueError(value)
    return moment


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
    text = str(value).strip()
    if ISO_SHAPED.match(text):  # the first formats, parsed without strptime
        return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    raise ValueError(text)


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


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return without_forbidden_characters(str(v)).strip()


class Lookups:
    def __init__(self, session: Session) -> None:
        depts = session.execute(select(Department.id, Department.name, Department.code)).all()
        self.depts = {d.name: d.id for d in depts} | {d.code: d.id for d in depts}
        matters = session.execute(
            select(Matter.id, Matter.name, Matter.code, Matter.department_id)
        ).all()
        self.matter_code = {m.code: (m.id, m.department_id) for m in matters}
        self.matter_name = {m.name: (m.id, m.department_id) for m in matters}
        self.halls = dict((n, i) for i, n in session.execute(select(Hall.id, Hall.name)).all())


def validate(
    raw: dict[str, Any], lk: Lookups, default_channel: str
) -> tuple[dict[str, Any], list[str]]:
    """Field values of a case, and the reasons the row cannot be imported (empty: valid)."""
    errors: list[str] = []
    v: dict[str, Any] = {}
    for f in REQUIRED:
        if not _text(raw.get(f)):
            errors.append(f"{f}: 必填")
    v["external_id"] = _text(raw.get("external_id"))[:64]
    v["hotline_order_number"] = _text(raw.get("hotline_order_number"))[:64] or None
    v["title"] = _text(raw.get("title"))[:200]
    v["description"] = _text(raw.get("description"))
    v["reporter_name"] = _text(raw.get("reporter_name"))[:100]
    phone = _text(raw.get("reporter_phone"))
    if not phone:
        errors.append("reporter_phone: 必填")
    elif MASKED_PHONE.match(phone):
        v["phone"], v["phone_masked"] = phone, phone  # a masked historical record
    else:
        try:
            v["phone"] = normalize_phone(phone)
            v["phone_masked"] = mask_phone(v["phone"]) or ""
        except Exception:
            errors.append(f"reporter_phone: 号码格式不正确（{phone}）")
    defaults = {
        "channel": default_channel,
        "kind": "cannot_do",
        "difficulty": "general",
        "blocker_type": "other",
    }
    for f, choices in CHOICES.items():
        t = _text(raw.get(f))
        if not t:
            v[f] = defaults.get(f)
        elif t in choices:
            v[f] = choices[t]
        else:
            errors.append(f"{f}: 无法识别的取值（{t}）")
    for f in ("registered_at", "due_at", "resolved_at"):
        cell = raw.get(f)
        if cell is None or _text(cell) == "":
            v[f] = None
            continue
        try:
            v[f] = parse_datetime(cell)
        except ValueError:
            errors.append(f"{f}: 日期格式无法识别（{_text(cell)}）")
    for f in ("transfer_count", "return_count"):
        t = _text(raw.get(f))
        if not t:
            v[f] = 0
        elif t.isascii() and t.isdigit() and len(t) <= 6:  # "²".isdigit(), int("²") fails
            v[f] = int(t)
        else:
            errors.append(f"{f}: 应为非负整数（{t}）")
    v["resolved_on_spot"] = _text(raw.get("resolved_on_spot")) in ("是", "1", "true", "True", "Y")
    v["resolution"] = _text(raw.get("resolution")) or None
    rtype = _text(raw.get("reporter_type"))
    v["reporter_type"] = "enterprise" if rtype in ("企业", "enterprise") else "person"
    v["reporter_org_name"] = _text(raw.get("reporter_org_name")) or None
    v["matter_id"] = None
    v["matter_department_id"] = None
    mcode, mname = _text(raw.get("matter_code")), _text(raw.get("matter"))
    if mcode or mname:
        hit = lk.matter_code.get(mcode) or lk.matter_name.get(mname)
        if hit is None:
            errors.append(f"matter: 事项不存在（{mcode or mname}）")
        else:
            v["matter_id"], v["matter_department_id"] = hit
    dept = _text(raw.get("department"))
    v["department_id"] = None
    if dept:
        if dept not in lk.depts:
            errors.append(f"department: 部门不存在（{dept}）")
        v["department_id"] = lk.depts.get(dept)  # type: ignore[assignment]
    hall = _text(raw.get("hall"))
    v["hall_id"] = None
    if hall:
        if hall not in lk.halls:
            errors.append(f"hall: 大厅不存在（{hall}）")
        v["hall_id"] = lk.halls.get(hall)
    if v.get("resolved_at") and v.get("registered_at") and v["resolved_at"] < v["registered_at"]:
        errors.append("resolved_at: 办结时间早于登记时间")
    if not v.get("state"):
        v["state"] = "closed" if v.get("resolved_at") else "registered"
    return v, errors


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


CASES, CASE_UNITS, CASE_EVENTS, REGISTER = (
    _table(m) for m in (Case, CaseDepartment, CaseEvent, ImportedWorkOrder)
)


class _Writer:
    """Writes validated rows in batches; what it reads (the calendar, the policies, the
    key) is read once per import."""

    def __init__(self, session: Session, settings: Settings, source: str, dept: int) -> None:
        self.session = session
        self.jurisdiction = settings.jurisdiction_code
        self.source = source
        self.dept = dept
        self.now = clock.now()
        self.crypto = get_crypto()
        self.choose = case_clock.PolicyChooser(session)
        self._calendar: WorkdayCalendar | None = None
        self.registered: list[datetime] = []

    def calendar(self) -> WorkdayCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session)
        return self._calendar

    def _case_row(self, v: dict[str, Any], seq: int, number: str) -> dict[str, Any]:
        registered = v["registered_at"]
        current = v["department_id"] or self.dept
        row: dict[str, Any] = {
            "number": number,
            "jurisdiction": self.jurisdiction,
            "year": registered.year,
            "seq": seq,
            "state": v["state"],
            "channel": v["channel"],
            "kind": v["kind"],
            "difficulty": v["difficulty"],
            "blocker_type": v["blocker_type"],
            "title": v["title"],
            "description": v["description"],
            "reporter_type": v["reporter_type"],
            "reporter_name": v["reporter_name"],
            "reporter_phone_enc": self.crypto.encrypt(v["phone"]),
            "reporter_phone_hash": self.crypto.lookup_hash(v["phone"]),
            "reporter_phone_masked": v["phone_masked"],
            "reporter_org_name": v["reporter_org_name"],
            "matter_id": v["matter_id"],
            "stuck_department_id": v["matter_department_id"],
            "hall_id": v["hall_id"],
            "first_receipt_department_id": self.dept,
            "current_department_id": current,
            "transfer_count": v["transfer_count"],
            "return_count": v["return_count"],
            "resolved_on_spot": v["resolved_on_spot"],
            "resolution": v["resolution"],
            "outcome": "done" if v["resolved_at"] else None,
            "rating": v["rating"],
            "hotline_order_number": v["hotline_order_number"],
            "registered_at": registered,
            "resolved_at": v["resolved_at"],
            "closed_at": v["resolved_at"] if v["state"] == State.closed.value else None,
            "updated_at": self.now,
            "paused_seconds": 0.0,
            "extension_workdays": 0,
            "suspended_from": None,
            "suspended_at": None,
        }
        if State(v["state"]) in OPEN_STATES:
            # An open order runs on the clock like any case: from its registration, to the
            # order's own deadline when the file gives one, else to the matching policy's.
            policy = self.choose(v["kind"], v["difficulty"], v["channel"], self.dept)
            has_deadline = policy is not None or v["due_at"] is not None
            row["fixed_due_at"] = v["due_at"]
            row["clock_started_at"] = registered
            if v["state"] == State.suspended.value:
                row["suspended_from"] = State.in_progress.value
                row["suspended_at"] = self.now
            row |= case_clock.clock_fields(
                policy,
                self.calendar() if has_deadline else None,
                start=registered,
                fixed_due_at=v["due_at"],
            )
        else:
            row |= case_clock.NO_DEADLINE | {"sla_policy_id": None}
            row["fixed_due_at"] = None
            row["clock_started_at"] = None
            row["due_at"] = v["due_at"]
            row["due_date"] = clock.to_local(v["due_at"]).date() if v["due_at"] else None
        return row

    def _insert_cases(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the cases, return their ids in order. PostgreSQL: the ids are drawn from
        the table's sequence first (psycopg
        parses a multi-row VALUES statement of this width slowly) and the rows sent by
        COPY (``_insert``); SQLite: a multi-row
        INSERT ... RETURNING (ids matched by number: the answer need not be in order)."""
        if self.session.get_bind().dialect.name == "postgresql":
            ids = list(
                self.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('cases', 'id'))"
                        " FROM generate_series(1, :n)"
                    ),
                    {"n": len(rows)},
                )
            )
            for case_id, row in zip(ids, rows, strict=True):
                row["id"] = case_id
            self._insert(CASES, rows)
            return ids
        by_number: dict[str, int] = dict(
            self.session.execute(insert(CASES).returning(CASES.c.number, CASES.c.id), rows).all()
        )
        return [by_number[row["number"]] for row in rows]

    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """A multi-row insert: PostgreSQL ``COPY ... FROM STDIN`` with the values bound as
        SQLAlchemy would bind them (the columns' bind processors, the Python-side
        defaults of the columns not given), elsewhere a Core executemany INSERT."""
        if not rows:
            return
        conn = self.session.connection()
        dialect = conn.dialect
        if dialect.name != "postgresql":
            conn.execute(insert(table), rows)
            return
        given = list(rows[0])
        defaults = {}
        for col in table.c:
            if col.key in rows[0] or col.default is None:
                continue
            arg = getattr(col.default, "arg", None)
            if getattr(col.default, "is_scalar", False):
                defaults[col.key] = arg
            elif getattr(col.default, "is_callable", False) and callable(arg):
                defaults[col.key] = arg(None)
        names = [*given, *defaults]
        procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        fixed = list(defaults.values())
        quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
        raw: Any = conn.connection.dbapi_connection
        statement = f"COPY {table.name} ({quoted}) FROM STDIN"
        try:
            with raw.cursor() as cur, cur.copy(statement) as copy:
                for row in rows:
                    values = [row[n] for n in given] + fixed
                    copy.write_row(
                        [
                            p(v) if p is not None and v is not None else v
                            for p, v in zip(procs, values, strict=True)
                        ]
                    )
        except dialect.loaded_dbapi.IntegrityError as exc:
            # As SQLAlchemy would raise it (a concurrent import of the same orders: 409).
            raise IntegrityError(statement, None, exc) from exc

    def write(self, batch: list[tuple[RowResult, dict[str, Any]]]) -> None:
        """One batch: a number block per year, then one multi-row INSERT per table."""
        by_year: dict[int, list[int]] = {}
        for i, (_, v) in enumerate(batch):
            by_year.setdefault(v["registered_at"].year, []).append(i)
        numbers: list[tuple[int, str]] = [(0, "")] * len(batch)
        for year, where in by_year.items():
            block = allocate_number_block(self.session, self.jurisdiction, year, len(where))
            for i, taken in zip(where, block, strict=True):
                numbers[i] = taken
        rows = [self._case_row(v, *numbers[i]) for i, (_, v) in enumerate(batch)]
        ids = self._insert_cases(rows)
        units, events, register = [], [], []
        for case_id, row, (result, v) in zip(ids, rows, batch, strict=True):
            for d in sorted({row["first_receipt_department_id"], row["current_department_id"]}):
                units.append({"case_id": case_id, "department_id": d})
            events.append(
                {
                    "case_id": case_id,
                    "at": self.now,
                    "action": "import",
                    "from_state": None,
                    "to_state": v["state"],
                    "actor_id": None,
                    "actor_name": "数据导入",
                    "actor_department_id": None,
                    "reason": None,
                    "details": {"source": self.source, "external_id": v["external_id"]},
                    "public": False,
                }
            )
            register.append(
                {
                    "source": self.source,
                    "external_id": v["external_id"],
                    "case_id": case_id,
                    "imported_at": self.now,
                }
            )
            result.status = "imported"
            result.number = row["number"]
        self._insert(CASE_UNITS, units)
        self._insert(CASE_EVENTS, events)
        self._insert(REGISTER, register)
        self.registered.extend(r["registered_at"] for r in rows)

    def finish(self) -> None:
        """Mark the rollup's dirty days, as the ORM's flush would have (once per import)."""
        mark_days_dirty(self.session.connection(), self.registered)


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
    if session.get(Department, department_id) is None:
        raise Invalid("import.department_not_found", "默认受理部门不存在")
    lk = Lookups(session)
    lines = data if isinstance(data, list) else list(data)
    valid: list[tuple[RowResult, dict[str, Any]]] = []
    for n, values in enumerate(lines, start=2):  # row 1 is the header
        if progress:
            progress("validate", 1, len(lines))
        if all(_text(x) == "" for x in values):
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
            errors.append(f"department: 不在您的数据范围内（{_text(raw.get('department'))}）")
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
    writer = _Writer(session, settings, source, department_id)
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
        registered = set(
            session.scalars(
                select(ImportedWorkOrder.external_id).where(
                    ImportedWorkOrder.source == source, ImportedWorkOrder.external_id.in_(ids)
                )
            )
        )
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
