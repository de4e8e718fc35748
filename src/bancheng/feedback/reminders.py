"""The reporter's rating after the one-time notification: a reminder once per feedback
round (``remind_unrated``), and the case closed as unrated when the late-rating window
(``rating_window_end``) has passed (``close_unrated``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bancheng.cases import service as case_service
from bancheng.cases.enums import State
from bancheng.cases.lifecycle import transition
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.feedback import repository
from bancheng.feedback.ratings import rating_window_end
from bancheng.notify import messages
from bancheng.notify import service as notify
from bancheng.sla.calendar import load_calendar


def remind_unrated(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Once per feedback round, ``rating_reminder_days`` working days after the feedback
    and still unrated: an SMS to the reporter with the rating link, and a notice to the
    first-receipt unit."""
    now = now or clock.now()
    cal = load_calendar(session)
    today = clock.to_local(now).date()
    cases = repository.awaiting_rating(session)
    made = 0
    for case in cases:
        fb = repository.feedback_at(session, case.id)
        if fb is None or cal.workdays_between(fb, today).workdays < settings.rating_reminder_days:
            continue
        already = repository.reminded_since(session, case.id, fb)
        if already:
            continue
        body = (
            f"反馈已超过{settings.rating_reminder_days}个工作日，群众尚未评价，"
            "已短信提醒；如未收到请电话提醒评价。"
        )
        unit = case.first_receipt_department_id
        notify.case_notice(session, case, unit, "rating_reminder", "评价提醒", body)
        event = case_service.add_event(
            session, case, "rating_reminder", case.state, case.state, None, public=False
        )
        session.flush()
        messages.to_reporter(
            session,
            settings,
            case,
            "reporter.rating_reminder",
            f"reporter.rating_reminder:{case.number}:{event.id}",
            {"deadline": rating_window_end(session, settings, fb).isoformat()},
            with_link=True,
        )
        made += 1
    session.flush()
    return made


def close_unrated(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """The late-rating window has ended (``rating_window_workdays`` working days after the
    feedback) with no rating: the case closes as unrated, by rule (event ``close`` by the
    system, ``details.rule = "rating_window"``), and the reporter is told."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    closed = 0
    rows = repository.awaiting_rating(session, lock=True)
    for case in rows:
        fb = repository.feedback_at(session, case.id)
        if fb is None or rating_window_end(session, settings, fb) >= today:
            continue
        before = transition(case, State.closed, now)
        case.closed_at = now
        event = case_service.add_event(
            session,
            case,
            "close",
            before,
            State.closed,
            None,
            reason="评价期届满未评价，按规则归档",
            details={"rule": "rating_window", "unrated": True},
        )
        session.flush()
        from bancheng.notify.events import on_case_event

        messages.to_reporter(
            session,
            settings,
            case,
            "reporter.rating_closed",
            f"reporter.rating_closed:{case.number}:{event.id}",
            {},
        )
        on_case_event(session, settings, case, event)
        closed += 1
    session.flush()
    return closed
