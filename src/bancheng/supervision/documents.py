"""Word documents: meeting minutes (会议纪要) and the monthly systemic-issue report."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.inputs import without_forbidden_characters
from bancheng.org.scope import Principal, department_name_map
from bancheng.supervision import repository as repo
from bancheng.supervision import systemic
from bancheng.supervision.meetings import MEETING_KIND_ZH
from bancheng.supervision.models import Meeting

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class _Document:
    """A Word document whose text leaves out the characters XML refuses (lxml raises on
    them): the input rules keep them out of new data, text stored earlier may carry one."""

    def __init__(self) -> None:
        self.doc = Document()

    def add_heading(self, text: str, level: int) -> None:
        self.doc.add_heading(without_forbidden_characters(text), level=level)

    def add_paragraph(self, text: str, style: str | None = None) -> None:
        self.doc.add_paragraph(without_forbidden_characters(text), style=style)

    def add_table(self, rows: int, cols: int) -> Any:
        return self.doc.add_table(rows=rows, cols=cols)

    def save(self, buf: io.BytesIO) -> None:
        self.doc.save(buf)


def _set(cell: Any, text: str) -> None:
    cell.text = without_forbidden_characters(text)


def _bytes(doc: object) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)  # type: ignore[attr-defined]
    return buf.getvalue()


def meeting_minutes(
    session: Session, meeting: Meeting, principal: Principal | None = None
) -> bytes:
    names = department_name_map(session)
    doc = _Document()
    doc.add_heading(f"{MEETING_KIND_ZH[meeting.kind]}纪要", level=0)
    doc.add_paragraph(f"会议名称：{meeting.title}")
    doc.add_paragraph(f"召开日期：{meeting.held_on.isoformat()}")
    if meeting.location:
        doc.add_paragraph(f"地点：{meeting.location}")
    doc.add_paragraph(
        f"召集单位：{names.get(meeting.convener_department_id, '')}（{meeting.convened_by_name}）"
    )
    parts = "、".join(names.get(i, str(i)) for i in meeting.participant_department_ids)
    doc.add_paragraph(f"参会单位：{parts or '无'}")
    cases = repo.meeting_cases(session, meeting.id, principal)
    if cases:
        doc.add_heading("涉及案件", level=1)
        for c in cases:
            doc.add_paragraph(f"{c.number} {c.title}", style="List Bullet")
    if meeting.summary:
        doc.add_heading("会议情况", level=1)
        doc.add_paragraph(meeting.summary)
    decisions = repo.decisions(session, meeting.id)
    doc.add_heading("议定事项", level=1)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("序号", "事项", "责任单位", "办结期限"), strict=True
    ):
        _set(cell, text)
    for d in decisions:
        row = table.add_row().cells
        _set(row[0], str(d.seq))
        _set(row[1], d.content)
        _set(row[2], names.get(d.responsible_department_id, ""))
        _set(row[3], f"{d.due_date.isoformat()}（{d.deadline_workdays}个工作日）")
    doc.add_paragraph(f"生成时间：{clock.to_local(clock.now()).strftime('%Y-%m-%d %H:%M')}")
    return _bytes(doc)


def _month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    start = date(y, m, 1)
    end = date(y + (m == 12), m % 12 + 1, 1)
    return start, end


def monthly_report(session: Session, month: str) -> bytes:
    start, end = _month_bounds(month)
    names = department_name_map(session)
    doc = _Document()
    doc.add_heading(f"制度性堵点（类问题）月度报告 {month}", level=0)
    issues = repo.systemic_issues_in_order(session)
    counts = systemic.case_counts(session, [i.id for i in issues])
    changed = repo.changes_between(session, start, end)
    doc.add_paragraph(f"类问题共 {len(issues)} 个，本月完成整改 {len(changed)} 项。")
    status_zh = {"open": "待整改", "addressed": "已整改", "closed": "已销号"}
    for issue in issues:
        doc.add_heading(issue.title, level=1)
        doc.add_paragraph(f"根源：{issue.root_cause}")
        doc.add_paragraph(
            f"状态：{status_zh.get(issue.status, issue.status)}；"
            f"关联案件 {counts.get(issue.id, 0)} 件"
        )
        linked_this_month = [
            c
            for c in systemic.issue_cases(session, issue.id)
            if start <= clock.to_local(c.registered_at).date() < end
        ]
        doc.add_paragraph(f"本月新增同类案件：{len(linked_this_month)} 件")
        vol = systemic.volumes(session, issue)
        for ch, v in zip(systemic.changes(session, issue.id), vol["changes"], strict=True):
            owner = ch.owner + (
                f"（{names[ch.owner_department_id]}）" if ch.owner_department_id in names else ""
            )
            doc.add_paragraph(
                f"{ch.changed_on.isoformat()} {systemic.CHANGE_TYPE_ZH[ch.type]}："
                f"{ch.description}；"
                f"责任人 {owner}；整改前月均 {v['avg_before']} 件，整改后月均 {v['avg_after']} 件",
                style="List Bullet",
            )
    return _bytes(doc)
