"""The daily summary (每日汇总): JSON, an Excel workbook, and e-mail over SMTP.

The PDF form waits for ``fpdf2`` and a CJK font (not installed); the Excel file is the
attachment in the meantime."""

from __future__ import annotations

import io
import smtplib
from collections import Counter
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.cases.models import Case
from bancheng.cases.repository import scope_clause
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.insights.repository import day_start
from bancheng.org.scope import Principal, department_name_map
from bancheng.sla.case_clock import light_condition

NOTABLE_LIMIT = 10


def _count_by(session: Session, where: Any, column: Any) -> dict[Any, int]:
    rows = session.execute(select(column, func.count()).where(where).group_by(column)).all()
    return {k: int(n) for k, n in rows}


def daily_summary(session: Session, principal: Principal | None, day: date) -> dict[str, Any]:
    """Figures of one local day. ``principal=None``: everything (the scheduler's copy)."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    scope = scope_clause(principal) if principal is not None else None
    base = [scope] if scope is not None else []
    as_of = min(clock.now(), end)
    new = and_(Case.registered_at >= start, Case.registered_at < end, *base)
    resolved = and_(Case.resolved_at >= start, Case.resolved_at < end, *base)
    red = and_(light_condition("red", as_of), *base)
    yellow = and_(light_condition("yellow", as_of), *base)
    names = department_name_map(session)

    def n(where: Any) -> int:
        return session.scalar(select(func.count()).select_from(Case).where(where)) or 0

    by_kind = _count_by(session, new, Case.kind)
    by_blocker = _count_by(session, new, Case.blocker_type)
    by_dept = _count_by(session, new, Case.current_department_id)
    notable = session.scalars(
        select(Case)
        .where(red)
        .order_by(Case.needs_supervision.desc(), Case.due_at.asc(), Case.id)
        .limit(NOTABLE_LIMIT)
    ).all()
    return {
        "date": day.isoformat(),
        "new": n(new),
        "resolved": n(resolved),
        "resolved_on_spot": n(and_(resolved, Case.resolved_on_spot.is_(True))),
        "overdue": n(red),
        "yellow": n(yellow),
        "by_kind": [
            {"key": k, "name": LABELS_ZH["kind"].get(k, k), "count": v}
            for k, v in Counter(by_kind).most_common()
        ],
        "by_blocker_type": [
            {"key": k, "name": LABELS_ZH["blocker_type"].get(k, k), "count": v}
            for k, v in Counter(by_blocker).most_common()
        ],
        "by_department": [
            {"key": k, "name": names.get(k, str(k)), "count": v}
            for k, v in Counter(by_dept).most_common()
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
            sheet.append([item["name"], item["count"]])
    sheet = wb.create_sheet("重点案件")
    sheet.append(["编号", "标题", "当前部门", "期限", "需督办"])
    for c in data["notable"]:
        sheet.append(
            [
                c["number"],
                c["title"],
                c["department"],
                c["due_at"],
                "是" if c["needs_supervision"] else "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)
    return True
