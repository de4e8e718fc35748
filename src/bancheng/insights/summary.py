"""The daily summary (每日汇总): JSON, an Excel workbook, a PDF, and e-mail over SMTP.

The PDF embeds the CJK font that the posters and receipts use
(``core.pdf.cjk_pdf``); without it the PDF endpoint answers ``print.font_missing``
and the e-mail carries the Excel file only."""

from __future__ import annotations

import io
import logging
import smtplib
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.pdf import FontMissing, cjk_pdf
from bancheng.insights.export import xml_safe
from bancheng.insights.repository import reports
from bancheng.org.permissions import DATA_SCOPE_LABELS_ZH
from bancheng.org.scope import Principal, department_name_map

log = logging.getLogger(__name__)
NOTABLE_LIMIT = 10


def scope_label(principal: Principal | None, names: dict[int, str]) -> str:
    """Whose cases the figures cover, in words: 全部数据, or the unit and its scope."""
    if principal is None or principal.sees_all:
        return "全部数据"
    unit = names.get(principal.department_id, "")
    return f"{unit}（{DATA_SCOPE_LABELS_ZH.get(principal.data_scope, principal.data_scope)}）"


NOTABLE_HEADINGS = ["编号", "标题", "当前部门", "期限", "需督办"]


def notable_rows(data: dict[str, Any], due: Callable[[Any], Any]) -> list[list[Any]]:
    """The notable cases as table rows (Excel and PDF), the deadline through ``due``."""
    return [
        [
            c["number"],
            c["title"],
            c["department"],
            due(c["due_at"]),
            "是" if c["needs_supervision"] else "",
        ]
        for c in data["notable"]
    ]


def daily_summary(session: Session, principal: Principal | None, day: date) -> dict[str, Any]:
    """Figures of one local day. ``principal=None``: everything (the scheduler's copy)."""
    counts = reports.day_counts(session, principal, day, NOTABLE_LIMIT)
    names = department_name_map(session)
    notable = counts.notable
    return {
        "date": day.isoformat(),
        "scope": scope_label(principal, names),
        "new": counts.new,
        "resolved": counts.resolved,
        "resolved_on_spot": counts.resolved_on_spot,
        "overdue": counts.overdue,
        "yellow": counts.yellow,
        "by_kind": [
            {"key": k, "name": LABELS_ZH["kind"].get(k, k), "count": v}
            for k, v in Counter(counts.by_kind).most_common()
        ],
        "by_blocker_type": [
            {"key": k, "name": LABELS_ZH["blocker_type"].get(k, k), "count": v}
            for k, v in Counter(counts.by_blocker).most_common()
        ],
        "by_department": [
            {"key": k, "name": names.get(k, str(k)), "count": v}
            for k, v in Counter(counts.by_department).most_common()
        ],
        "notable": [
            {
                "id": c.id,
                "number": c.number,
                "title": c.title,
                "department": names.get(c.current_department_id, ""),
                "due_at": c.due_at.isoformat() if c.due_at else None,
                "needs_supervision": c.needs_supervision,
            }
            for c in notable
        ],
    }


def summary_xlsx(data: dict[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "每日汇总"
    ws.append(["办不成事反映窗口 每日汇总", data["date"]])
    ws.append([])
    for label, key in (
        ("新登记", "new"),
        ("已办结", "resolved"),
        ("其中现场办结", "resolved_on_spot"),
        ("超期(红灯)", "overdue"),
        ("临期(黄灯)", "yellow"),
    ):
        ws.append([label, data[key]])
    for title, key in (
        ("按类型", "by_kind"),
        ("按部门", "by_department"),
        ("按堵点类型", "by_blocker_type"),
    ):
        sheet = wb.create_sheet(title)
        sheet.append(["名称", "新登记"])
        for item in data[key]:
            sheet.append([xml_safe(item["name"]), item["count"]])
    sheet = wb.create_sheet("重点案件")
    sheet.append(NOTABLE_HEADINGS)
    for row in notable_rows(data, lambda due: due):
        sheet.append([xml_safe(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _local_due(value: str | None) -> str:
    if not value:
        return ""
    return clock.to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


COUNTERS = (
    ("新登记", "new"),
    ("已办结", "resolved"),
    ("其中现场办结", "resolved_on_spot"),
    ("超期(红灯)", "overdue"),
    ("临期(黄灯)", "yellow"),
)
RED = (200, 30, 30)
AMBER = (190, 120, 0)
HEAD_FILL = (235, 238, 245)


def summary_pdf(data: dict[str, Any], font_path: str | None = None) -> bytes:
    """The summary as an A4 PDF: the same figures, tables and notable cases as the page and
    the workbook. ``font_path``: default ``BANCHENG_CJK_FONT_PATH``; raises ``FontMissing``
    when no CJK font is installed."""
    from fpdf.fonts import FontFace

    pdf = cjk_pdf(font_path if font_path is not None else get_settings().cjk_font_path)
    pdf.set_title(f"每日汇总 {data['date']}")
    pdf.set_creator("bancheng")
    pdf.set_auto_page_break(True, margin=15)
    head = FontFace(fill_color=HEAD_FILL)
    pdf.set_font_size(20)
    pdf.cell(0, 12, "办不成事反映窗口 每日汇总", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(11)
    pdf.cell(
        0,
        7,
        f"日期：{data['date']}    范围：{data.get('scope') or '全部数据'}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    # The counters, one box each; overdue in red, yellow in amber.
    w = (pdf.w - pdf.l_margin - pdf.r_margin) / len(COUNTERS)
    y = pdf.get_y()
    for i, (label, key) in enumerate(COUNTERS):
        x = pdf.l_margin + i * w
        pdf.set_xy(x, y)
        pdf.set_font_size(10)
        pdf.set_text_color(100, 100, 100)
        pdf.cell(w, 7, label, border="LTR", align="C")
        pdf.set_xy(x, y + 7)
        color = RED if key == "overdue" else AMBER if key == "yellow" else (0, 0, 0)
        pdf.set_text_color(*color)
        pdf.set_font_size(18)
        pdf.cell(w, 12, str(data[key]), border="LBR", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, y + 23)

    def section(title: str) -> None:
        pdf.ln(3)
        pdf.set_font_size(13)
        pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(10)

    for title, key, name in (
        ("新登记按类型", "by_kind", "类型"),
        ("新登记按部门", "by_department", "部门"),
        ("新登记按堵点类型", "by_blocker_type", "堵点类型"),
    ):
        section(title)
        if not data[key]:
            pdf.cell(0, 7, "当日无新登记", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(col_widths=(4, 1), headings_style=head, line_height=6.5) as table:
            table.row([name, "新登记"])
            for item in data[key]:
                table.row([str(item["name"]), str(item["count"])])
    section(f"重点案件（超期，最多{NOTABLE_LIMIT}件）")
    if not data["notable"]:
        pdf.cell(0, 7, "无超期案件", new_x="LMARGIN", new_y="NEXT")
    else:
        with pdf.table(
            col_widths=(32, 56, 30, 28, 12), headings_style=head, line_height=6.5
        ) as table:
            table.row(NOTABLE_HEADINGS)
            for row in notable_rows(data, _local_due):
                table.row(row)
    pdf.ln(4)
    pdf.set_font_size(8)
    pdf.set_text_color(120, 120, 120)
    made = clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M")
    pdf.cell(0, 5, f"生成时间：{made}", align="R")
    return bytes(pdf.output())


def summary_text(data: dict[str, Any]) -> str:
    lines = [
        f"{data['date']} 每日汇总",
        f"新登记 {data['new']} 件，办结 {data['resolved']} 件"
        f"（现场办结 {data['resolved_on_spot']} 件），"
        f"超期 {data['overdue']} 件，临期 {data['yellow']} 件。",
    ]
    if data["notable"]:
        lines.append("重点案件：")
        lines += [f"  {c['number']} {c['title']}（{c['department']}）" for c in data["notable"]]
    return "\n".join(lines)


def send_summary(settings: Settings, data: dict[str, Any]) -> bool:
    """E-mail the summary when SMTP and recipients are configured; returns whether sent."""
    recipients = [r.strip() for r in (settings.summary_recipients or "").split(",") if r.strip()]
    if not settings.smtp_host or not recipients:
        return False
    msg = EmailMessage()
    msg["Subject"] = f"办不成事反映窗口每日汇总 {data['date']}"
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(recipients)
    msg.set_content(summary_text(data))
    msg.add_attachment(
        summary_xlsx(data),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"daily-summary-{data['date']}.xlsx",
    )
    try:
        pdf = summary_pdf(data, settings.cjk_font_path)
    except FontMissing:
        log.warning("daily summary e-mailed without the PDF: no CJK font installed")
    else:
        msg.add_attachment(
            pdf,
            maintype="application",
            subtype="pdf",
            filename=f"daily-summary-{data['date']}.pdf",
        )
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)
    return True
