"""The ledger as an Excel file, in constant memory: rows are fetched in batches
(``yield_per``) and written by openpyxl's write-only workbook into a temporary file, which
is then streamed. Personal data is masked for every role in exports (a file leaves the
system): the phone and ID number as masked at registration, never decrypted."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.cases.schemas import CaseFilter
from bancheng.core import clock
from bancheng.core.inputs import without_forbidden_characters
from bancheng.insights.repository import reports
from bancheng.org.scope import Principal, department_name_map

# (header, field). The import's default mapping reads the same headers back.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("编号", "number"),
    ("12345工单号", "hotline_order_number"),
    ("状态", "state"),
    ("渠道", "channel"),
    ("类型", "kind"),
    ("难度", "difficulty"),
    ("堵点类型", "blocker_type"),
    ("性质", "nature"),
    ("标题", "title"),
    ("诉求内容", "description"),
    ("反映人类型", "reporter_type"),
    ("反映人", "reporter_name"),
    ("联系电话", "reporter_phone"),
    ("身份证号", "reporter_id"),
    ("企业名称", "reporter_org_name"),
    ("事项编码", "matter_code"),
    ("事项", "matter"),
    ("大厅", "hall"),
    ("当前部门", "department"),
    ("转办次数", "transfer_count"),
    ("退回次数", "return_count"),
    ("现场办结", "resolved_on_spot"),
    ("办理结果", "resolution"),
    ("评价", "rating"),
    ("登记时间", "registered_at"),
    ("办结期限", "due_at"),
    ("办结时间", "resolved_at"),
)
HEADERS = [h for h, _ in COLUMNS]


def _fmt(value: datetime | None) -> str | None:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M:%S") if value else None


def rows(session: Session, principal: Principal, f: CaseFilter) -> Iterator[list[Any]]:
    names = department_name_map(session)
    matters = reports.matter_codes(session)
    halls = reports.hall_names(session)
    zh = LABELS_ZH
    for c in reports.export_rows(session, principal, f):
        code, mname = matters.get(c.matter_id, (None, None)) if c.matter_id else (None, None)
        yield [
            c.number,
            c.hotline_order_number,
            zh["state"].get(c.state, c.state),
            zh["channel"].get(c.channel, c.channel),
            zh["kind"].get(c.kind, c.kind),
            zh["difficulty"].get(c.difficulty, c.difficulty),
            zh["blocker_type"].get(c.blocker_type, c.blocker_type),
            zh["nature"].get(c.nature, c.nature) if c.nature else None,
            c.title,
            c.description,
            "企业" if c.reporter_type == "enterprise" else "个人",
            c.reporter_name,
            c.reporter_phone_masked,
            c.reporter_id_masked,
            c.reporter_org_name,
            code,
            mname,
            halls.get(c.hall_id) if c.hall_id else None,
            names.get(c.current_department_id),
            c.transfer_count,
            c.return_count,
            "是" if c.resolved_on_spot else "否",
            c.resolution,
            zh["rating"].get(c.rating, c.rating) if c.rating else None,
            _fmt(c.registered_at),
            _fmt(c.due_at),
            _fmt(c.resolved_at),
        ]


def xml_safe(value: Any) -> Any:
    """A cell's text less the characters XML refuses (openpyxl raises on them). The input
    rules keep them out of new data; text stored before them may still carry one."""
    return without_forbidden_characters(value) if isinstance(value, str) else value


def write_xlsx(session: Session, principal: Principal, f: CaseFilter) -> tuple[str, int]:
    """Write the export to a temporary file; returns (path, data rows). Caller deletes it."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append(HEADERS)
    n = 0
    for row in rows(session, principal, f):
        ws.append([xml_safe(v) for v in row])
        n += 1
    fd, path = tempfile.mkstemp(prefix="bancheng-export-", suffix=".xlsx")
    os.close(fd)
    wb.save(path)
    return path, n
