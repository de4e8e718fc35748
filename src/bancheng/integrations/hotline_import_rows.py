"""The 12345 work-order import, part one: the columns a row may carry, reading an .xlsx or
.csv file (``read_table`` from disk, ``read_upload`` from the API, limited to
``MAX_IMPORT_BYTES``: an .xlsx workbook recognised by its content, or CSV text), the
template, and validating one row into a case's field values (``validate``). The import
itself is ``integrations/hotline_import.py``, the batch writer
``integrations/hotline_import_writer.py``."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from bancheng.cases.enums import (
    LABELS_ZH,
    BlockerType,
    Channel,
    Difficulty,
    Kind,
    Rating,
    State,
)
from bancheng.core.clock import SHANGHAI
from bancheng.core.errors import Invalid, TooLarge
from bancheng.core.inputs import FIRST_YEAR, LAST_YEAR, without_forbidden_characters
from bancheng.core.validators import decode_text_file, mask_phone, normalize_phone
from bancheng.insights.export import COLUMNS
from bancheng.integrations import repository

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
    text = decode_text_file(data, "import.encoding", "无法识别文件编码（请使用UTF-8或GBK）")
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


def cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return without_forbidden_characters(str(v)).strip()


class Lookups:
    def __init__(self, session: Session) -> None:
        depts = repository.departments_for_import(session)
        self.depts = {d.name: d.id for d in depts} | {d.code: d.id for d in depts}
        matters = repository.matters_for_import(session)
        self.matter_code = {m.code: (m.id, m.department_id) for m in matters}
        self.matter_name = {m.name: (m.id, m.department_id) for m in matters}
        self.halls = repository.halls_by_name(session)


def department_id_by_code(session: Session, code: str) -> int | None:
    """The unit with this code (the import's receiving unit), or None."""
    return repository.department_id_by_code(session, code)


def validate(
    raw: dict[str, Any], lk: Lookups, default_channel: str
) -> tuple[dict[str, Any], list[str]]:
    """Field values of a case, and the reasons the row cannot be imported (empty: valid)."""
    errors: list[str] = []
    v: dict[str, Any] = {}
    for f in REQUIRED:
        if not cell_text(raw.get(f)):
            errors.append(f"{f}: 必填")
    v["external_id"] = cell_text(raw.get("external_id"))[:64]
    v["hotline_order_number"] = cell_text(raw.get("hotline_order_number"))[:64] or None
    v["title"] = cell_text(raw.get("title"))[:200]
    v["description"] = cell_text(raw.get("description"))
    v["reporter_name"] = cell_text(raw.get("reporter_name"))[:100]
    phone = cell_text(raw.get("reporter_phone"))
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
        t = cell_text(raw.get(f))
        if not t:
            v[f] = defaults.get(f)
        elif t in choices:
            v[f] = choices[t]
        else:
            errors.append(f"{f}: 无法识别的取值（{t}）")
    for f in ("registered_at", "due_at", "resolved_at"):
        cell = raw.get(f)
        if cell is None or cell_text(cell) == "":
            v[f] = None
            continue
        try:
            v[f] = parse_datetime(cell)
        except ValueError:
            errors.append(f"{f}: 日期格式无法识别（{cell_text(cell)}）")
    for f in ("transfer_count", "return_count"):
        t = cell_text(raw.get(f))
        if not t:
            v[f] = 0
        elif t.isascii() and t.isdigit() and len(t) <= 6:  # "²".isdigit(), int("²") fails
            v[f] = int(t)
        else:
            errors.append(f"{f}: 应为非负整数（{t}）")
    v["resolved_on_spot"] = cell_text(raw.get("resolved_on_spot")) in (
        "是",
        "1",
        "true",
        "True",
        "Y",
    )
    v["resolution"] = cell_text(raw.get("resolution")) or None
    rtype = cell_text(raw.get("reporter_type"))
    v["reporter_type"] = "enterprise" if rtype in ("企业", "enterprise") else "person"
    v["reporter_org_name"] = cell_text(raw.get("reporter_org_name")) or None
    v["matter_id"] = None
    v["matter_department_id"] = None
    mcode, mname = cell_text(raw.get("matter_code")), cell_text(raw.get("matter"))
    if mcode or mname:
        hit = lk.matter_code.get(mcode) or lk.matter_name.get(mname)
        if hit is None:
            errors.append(f"matter: 事项不存在（{mcode or mname}）")
        else:
            v["matter_id"], v["matter_department_id"] = hit
    dept = cell_text(raw.get("department"))
    v["department_id"] = None
    if dept:
        if dept not in lk.depts:
            errors.append(f"department: 部门不存在（{dept}）")
        v["department_id"] = lk.depts.get(dept)  # type: ignore[assignment]
    hall = cell_text(raw.get("hall"))
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
