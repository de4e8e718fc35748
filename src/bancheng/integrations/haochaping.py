"""政务服务“好差评” data: every evaluation in the field set the province's unified system
takes (国办发〔2019〕51号; channels and indicators after GB/T 39734-2020), pushed through
the outbox as it happens or exported as a batch file.

One record per evaluation (case and round). A bad review carries its rectification (整改:
the unit, the deadline in working days, the result), the revisit (回访: reached or not,
confirmed resolved or not) and whether an appeal overturned it. The record is pushed when
the evaluation is given, and again at each step of a bad review's rectification (rectified,
revisited, overturned): the receiver keeps the latest by ``evaluation_id`` and ``stage``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.core.config import get_settings
from bancheng.feedback import records as feedback_records
from bancheng.feedback.models import Evaluation
from bancheng.feedback.standard import OFFLINE_V1, ONLINE_V1
from bancheng.integrations import repository
from bancheng.org.scope import Principal

# 评价渠道: code → (label, online/offline, the indicators collected on it).
CHANNELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "web": ("政务服务网", "online", ("timeliness", "attitude", "result")),
    "app": ("政务服务APP", "online", ("timeliness", "attitude", "result")),
    "mini_program": ("小程序", "online", ("timeliness", "attitude", "result")),
    "qr": ("二维码（码上评）", "online", ("timeliness", "attitude", "result")),
    "sms": ("短信", "online", ("timeliness", "attitude", "result")),
    "hall": ("窗口（评价器）", "offline", ()),
    "terminal": ("自助终端", "offline", ("timeliness", "attitude", "result")),
    "hotline_12345": ("12345热线", "offline", ()),
}
PUBLIC_CHANNELS = ("qr", "web", "app", "mini_program", "sms")
INDICATOR_LABELS_ZH = {
    # the GB/T 39734-2020 sets' labels (feedback/standard.py); efficiency is 服务效率
    # offline and 办事效率 online: the online label is the one used
    **{i["code"]: i["label"] for i in [*OFFLINE_V1, *ONLINE_V1]},
    "timeliness": "办理时效",
    "attitude": "服务态度",
    "result": "办理结果",
}
# 五级评价: the level number the unified system counts (5 best) and its name.
LEVELS: dict[str, tuple[int, str]] = {
    "very_satisfied": (5, "非常满意"),
    "satisfied": (4, "满意"),
    "basically_satisfied": (3, "基本满意"),
    "dissatisfied": (2, "不满意"),
    "very_dissatisfied": (1, "非常不满意"),
}
RECTIFICATION_LABELS_ZH = {
    "open": "整改中",
    "appealed": "申诉中",
    "done": "已整改",
    "overturned": "申诉成立（不计入）",
}
REVISIT_LABELS_ZH = {
    "open": "待回访",
    "reached": "已回访",
    "unreachable": "无法联系",
    "refused": "拒绝回访",
}

# The batch file's columns, in order (documented in docs/integrations.md).
FIELDS: tuple[tuple[str, str], ...] = (
    ("evaluation_id", "评价编号"),
    ("case_number", "办件编号"),
    ("matter_code", "事项编码"),
    ("matter_name", "事项名称"),
    ("channel", "评价渠道"),
    ("channel_name", "评价渠道名称"),
    ("channel_type", "线上/线下"),
    ("level", "评价等级"),
    ("level_name", "评价等级名称"),
    ("indicators", "评价指标"),
    ("text", "评价内容"),
    ("evaluated_at", "评价时间"),
    ("unit_code", "被评价单位编码"),
    ("unit_name", "被评价单位"),
    ("hall", "服务大厅"),
    ("window", "服务窗口"),
    ("round", "评价轮次"),
    ("bad", "是否差评"),
    ("rectification_status", "整改状态"),
    ("rectification_due", "整改期限"),
    ("rectification_result", "整改结果"),
    ("rectified_at", "整改完成时间"),
    ("revisit_status", "回访状态"),
    ("revisit_confirmed", "回访确认已解决"),
    ("revisited_at", "回访时间"),
    ("excluded", "申诉成立不计入"),
)


def _iso(moment: datetime | None) -> str | None:
    return clock.to_local(moment).isoformat(timespec="seconds") if moment else None


class _Lookups:
    def __init__(self, session: Session) -> None:
        self.depts = repository.unit_codes_names(session)
        self.matters = repository.matter_codes_names(session)
        self.halls = repository.hall_names(session)
        self.windows = repository.window_labels(session)


def record(
    session: Session, ev: Evaluation, case: Case, lk: _Lookups | None = None
) -> dict[str, Any]:
    """The evaluation in the documented field set."""
    lk = lk or _Lookups(session)
    channel = ev.channel or ("hall" if ev.source == "window" else "qr")
    label, kind, indicator_codes = CHANNELS.get(channel, (channel, "online", ()))
    level, level_name = LEVELS.get(ev.rating, (0, ev.rating))
    # The GB/T 39734-2020 scores when the rating has them, else the older three.
    indicators = (
        dict(ev.scores)
        if ev.scores
        else {
            code: getattr(ev, code)
            for code in indicator_codes
            if getattr(ev, code, None) is not None
        }
    )
    unit_code, unit_name = lk.depts.get(ev.department_id or case.current_department_id, ("", ""))
    matter_code, matter_name = lk.matters.get(case.matter_id or 0, (None, None))
    rect = repository.rectification_of(session, ev.id)
    revisit = repository.bad_review_callback(session, case.id, ev.round)
    return {
        "evaluation_id": f"{case.number}-{ev.round}",
        "case_number": case.number,
        "matter_code": matter_code,
        "matter_name": matter_name,
        "channel": channel,
        "channel_name": label,
        "channel_type": kind,
        "level": level,
        "level_name": level_name,
        "indicators": indicators,
        "text": ev.comment,
        "evaluated_at": _iso(ev.created_at),
        "unit_code": unit_code,
        "unit_name": unit_name,
        "hall": lk.halls.get(case.hall_id) if case.hall_id else None,
        "window": lk.windows.get(case.window_id) if case.window_id else None,
        "round": ev.round,
        "bad": level in (1, 2),
        "rectification_status": rect.status if rect else None,
        "rectification_due": rect.due_date.isoformat() if rect else None,
        "rectification_result": (rect.note or rect.decision_note) if rect else None,
        "rectified_at": _iso(rect.completed_at) if rect else None,
        "revisit_status": revisit.status if revisit else None,
        "revisit_confirmed": revisit.confirmed_resolved if revisit else None,
        "revisited_at": _iso(revisit.closed_at) if revisit else None,
        "excluded": ev.excluded,
    }


def evaluations(
    session: Session, principal: Principal, date_from: date, date_to: date
) -> Iterator[dict[str, Any]]:
    """Every evaluation given in the local dates (inclusive) on cases in the caller's
    data scope, oldest first."""
    start = datetime.combine(date_from, time.min, SHANGHAI)
    end = datetime.combine(date_to + timedelta(days=1), time.min, SHANGHAI)
    rows = repository.evaluations_between(session, principal, start, end)
    lk = _Lookups(session)
    for ev, case in rows:
        yield record(session, ev, case, lk)


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return ";".join(f"{INDICATOR_LABELS_ZH.get(k, k)}:{v}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else value


def to_csv(records: Iterator[dict[str, Any]]) -> bytes:
    """The batch file: UTF-8 with BOM (opens in Excel), a Chinese header row, then the
    field codes' values in the order of ``FIELDS``."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([zh for _, zh in FIELDS])
    for rec in records:
        w.writerow([_cell(rec[f]) for f, _ in FIELDS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def queue_push(session: Session, ev: Evaluation, stage: str) -> None:
    """Push the evaluation's record to the unified system (``BANCHENG_HAOCHAPING_URL``)
    through the outbox, in the caller's transaction. ``stage``: evaluated, rectified,
    revisited, overturned. Nothing when no URL is configured."""
    from bancheng.outbox.service import enqueue

    settings = get_settings()
    if not settings.haochaping_url:
        return
    case = repository.case(session, ev.case_id)
    assert case is not None
    session.flush()
    body = {"stage": stage, "record": record(session, ev, case)}
    enqueue(
        session,
        channel="webhook",
        kind=f"haochaping.{stage}",
        idempotency_key=f"haochaping:{ev.id}:{stage}",
        recipient=settings.haochaping_url,
        recipient_masked=settings.haochaping_url,
        payload={"body": body},
        secrets={"signing_secret": settings.haochaping_signing_secret}
        if settings.haochaping_signing_secret
        else None,
        case_id=case.id,
    )


def install_hooks() -> None:
    """feedback pushes its records here (``feedback.records.push_record``)."""
    feedback_records.push_record.provide(queue_push)
