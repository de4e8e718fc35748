"""好差评 rules: the reporter's evaluation (rounds), rectification of a bad review with a
deadline in working days, appeals decided by a supervisor. Callbacks (every bad review and
a deterministic sample of closed cases): ``feedback/callbacks.py``; the reminder when no
rating comes and the closing of unrated cases: ``feedback/reminders.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bancheng.cases import service as case_service
from bancheng.cases.enums import BAD_RATINGS, Rating, State
from bancheng.cases.hooks import hooks
from bancheng.cases.lifecycle import MoveContext, given, transition
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.errors import Conflict, Invalid
from bancheng.deadlines.service import on_provisional_recount, open_provisional
from bancheng.feedback import records, repository
from bancheng.feedback.callbacks import ensure_callback
from bancheng.feedback.models import (
    Evaluation,
    IndicatorSet,
    Rectification,
)
from bancheng.notify import service as notify
from bancheng.org.scope import Principal
from bancheng.sla.calendar import load_calendar
from bancheng.sla.workdays import Deadline, WorkdayCalendar

BAD = frozenset(r.value for r in BAD_RATINGS)


# --- evaluations -----------------------------------------------------------------------


def current_round(session: Session, case_id: int) -> int:
    return repository.evaluation_count(session, case_id) + 1


def can_rate(case: Case) -> bool:
    return case.state == State.feedback_given.value


def evaluate(
    session: Session,
    settings: Settings,
    principal: Principal,
    case: Case,
    rating: Rating,
    timeliness: int | None,
    attitude: int | None,
    result: int | None,
    comment: str | None,
    source: str = "public",
    channel: str = "qr",
    scores: dict[str, int] | None = None,
    bad_reasons: list[str] | None = None,
) -> Evaluation:
    """The lifecycle's ``evaluate`` move made by the reporter (feedback_given → evaluated),
    with the per-indicator ratings stored in ``evaluations``: the scores of the channel
    type's active indicator set (GB/T 39734-2020) and, for a bad review, the checklist's
    reasons (required). Within the late-rating window only. A bad review opens a
    rectification and a callback."""
    from bancheng.feedback import ratings

    ratings.check_window(session, settings, case)
    if not can_rate(case):
        raise Conflict("feedback.not_ratable", "该诉求当前不能评价（尚未反馈或已评价）")
    iset = ratings.active_set(session, ratings.channel_type(channel))
    scores, bad_reasons = ratings.check_rating(
        iset, rating.value, scores, bad_reasons, require_scores=False, require_reasons=True
    )
    if scores is not None and scores.get("overall") not in (None, ratings.LEVEL[rating.value]):
        raise Invalid("rating.overall_mismatch", "整体满意度与评价等级不一致", field="scores")
    now = clock.now()
    rnd = current_round(session, case.id)
    case.rating = rating.value
    before = transition(case, State.evaluated, now)
    session.flush()
    rated = case_service.add_event(
        session,
        case,
        "evaluate",
        before,
        State.evaluated,
        principal,
        details={"rating": rating.value, "round": rnd, "source": source},
    )
    ev = record_evaluation(
        session,
        settings,
        case,
        rating=rating,
        source=source,
        channel=channel,
        iset=iset,
        scores=scores,
        bad_reasons=bad_reasons,
        timeliness=timeliness,
        attitude=attitude,
        result=result,
        comment=comment,
    )
    from bancheng.notify.events import on_case_event

    on_case_event(session, settings, case, rated)
    records.push(session, ev, "evaluated")
    return ev


def record_evaluation(
    session: Session,
    settings: Settings,
    case: Case,
    *,
    rating: Rating,
    source: str,
    channel: str,
    iset: IndicatorSet | None,
    scores: dict[str, int] | None,
    bad_reasons: list[str] | None,
    timeliness: int | None = None,
    attitude: int | None = None,
    result: int | None = None,
    comment: str | None = None,
    push: bool = False,
) -> Evaluation:
    """The one place a rating is written, whoever gives it (the reporter on the phone page,
    ``evaluate`` above, or a clerk at the window for the reporter, the lifecycle's
    ``evaluate`` move): the evaluation row of the round, and for a bad rating the
    rectification and the callback. The case's move to ``evaluated`` and its event are
    the caller's; ``push`` sends the record to the 好差评 system now (the phone page sends
    it after its notices)."""
    from bancheng.feedback import ratings

    rnd = current_round(session, case.id)
    ev = Evaluation(
        case_id=case.id,
        department_id=case.current_department_id,
        round=rnd,
        rating=rating.value,
        timeliness=timeliness,
        attitude=attitude,
        result=result,
        comment=(comment or "").strip() or None,
        source=source,
        channel=channel,
        indicator_set_id=iset.id if iset else None,
        scores=scores,
        bad_reasons=bad_reasons,
        window_id=case.window_id,
        staff_id=ratings.rated_staff(session, case),
        excluded=False,
        created_at=clock.now(),
    )
    session.add(ev)
    session.flush()
    if ev.rating in BAD:
        open_rectification(session, settings, case, ev)
        ensure_callback(session, case, "bad_review", rnd)
    session.flush()
    if push:
        records.push(session, ev, "evaluated")
    return ev


def window_evaluation(ctx: MoveContext) -> None:
    """The effect of the ``evaluate`` move (``cases.hooks``): a rating given at the window,
    entered for the reporter, on the offline indicator set. Once the event is written, the
    evaluation (and for a bad one the rectification and the callback) is recorded as for a
    rating from the phone."""
    from bancheng.feedback import ratings

    session, settings, case, body = ctx.session, ctx.settings, ctx.case, ctx.body
    ratings.check_window(session, settings, case)
    window_set = ratings.active_set(session, "offline")
    rating = Rating(given(body.rating))
    scores, reasons = ratings.check_rating(
        window_set,
        rating.value,
        body.scores,
        body.bad_reasons,
        require_scores=False,
        require_reasons=False,
    )
    case.rating = rating.value
    ctx.details["rating"] = case.rating
    ctx.recorded.append(
        lambda: record_evaluation(
            session,
            settings,
            case,
            rating=rating,
            source="window",
            channel=body.rating_channel or "hall",
            iset=window_set,
            scores=scores,
            bad_reasons=reasons,
            push=True,
        )
    )


def rectification_deadline(cal: WorkdayCalendar, opened_at: datetime, workdays: int) -> Deadline:
    """A rectification's deadline: ``workdays`` working days from the (Beijing) day it
    was opened."""
    return cal.add_workdays(clock.to_local(opened_at).date(), workdays)


def open_rectification(
    session: Session, settings: Settings, case: Case, ev: Evaluation
) -> Rectification:
    cal = load_calendar(session)
    deadline = rectification_deadline(cal, clock.now(), settings.rectification_workdays)
    due = deadline.date
    rect = Rectification(
        case_id=case.id,
        evaluation_id=ev.id,
        department_id=case.current_department_id,
        due_date=due,
        deadline_workdays=settings.rectification_workdays,
        deadline_provisional=deadline.provisional,
        status="open",
        created_at=clock.now(),
    )
    session.add(rect)
    session.flush()
    body = f"群众评价为“不满意”，请于{due.isoformat()}前完成整改并重新办理。"
    key = f"rectification:{case.number}:{rect.id}"
    notify.case_notice(
        session, case, case.current_department_id, "rectification", "差评整改", body, key
    )
    from bancheng.notify import webhooks

    webhooks.publish(
        session,
        "rectification.opened",
        f"rectification:{rect.id}:opened",
        {"rectification_id": rect.id, "case_number": case.number, "due_date": due.isoformat()},
        case.id,
    )
    case_service.add_event(
        session,
        case,
        "rectification_opened",
        case.state,
        case.state,
        None,
        details={"rectification_id": rect.id, "due_date": due.isoformat()},
        public=False,
    )
    return rect


def _rect(session: Session, rect_id: int, principal: Principal) -> Rectification:
    return repository.visible_or_raise(
        session, principal, Rectification, rect_id, "feedback.not_found", "整改任务不存在"
    )


def complete_rectification(
    session: Session, principal: Principal, rect_id: int, note: str
) -> Rectification:
    rect = _rect(session, rect_id, principal)
    if rect.status not in ("open",):
        raise Conflict("feedback.rectification_closed", "该整改任务已结束或正在申诉")
    if not note.strip():
        raise Invalid("feedback.note_required", "请填写整改情况", field="note")
    rect.status = "done"
    rect.note = note.strip()
    rect.completed_at = clock.now()
    case = repository.case_of(session, rect.case_id)
    assert case is not None
    case_service.add_event(
        session,
        case,
        "rectification_done",
        case.state,
        case.state,
        principal,
        details={"rectification_id": rect.id},
        public=False,
    )
    session.flush()
    from bancheng.core.config import get_settings
    from bancheng.notify import messages, webhooks

    messages.to_reporter(
        session,
        get_settings(),
        case,
        "reporter.rectified",
        f"reporter.rectified:{case.number}:rect{rect.id}",
        {"note": rect.note},
    )
    webhooks.publish(
        session,
        "rectification.completed",
        f"rectification:{rect.id}:completed",
        {"rectification_id": rect.id, "case_number": case.number},
        case.id,
    )
    records.push(session, repository.evaluation(session, rect.evaluation_id), "rectified")
    return rect


def appeal(session: Session, principal: Principal, rect_id: int, reason: str) -> Rectification:
    rect = _rect(session, rect_id, principal)
    if rect.status != "open":
        raise Conflict("feedback.appeal_not_allowed", "只有进行中的整改任务可以申诉")
    if not reason.strip():
        raise Invalid("feedback.reason_required", "请填写申诉理由", field="reason")
    rect.status = "appealed"
    rect.appeal_reason = reason.strip()
    rect.appeal_by_id = principal.user_id
    rect.appeal_at = clock.now()
    session.flush()
    return rect


def decide_appeal(
    session: Session, principal: Principal, rect_id: int, uphold: bool, note: str | None
) -> Rectification:
    """``uphold``: the review was malicious or mistaken → overturned, excluded from the
    figures; otherwise the rectification goes on."""
    rect = _rect(session, rect_id, principal)
    if rect.status != "appealed":
        raise Conflict("feedback.no_pending_appeal", "没有待审核的申诉")
    rect.decision = "upheld" if uphold else "rejected"
    rect.decision_note = (note or "").strip() or None
    rect.decided_by_id = principal.user_id
    rect.decided_at = clock.now()
    rect.status = "overturned" if uphold else "open"
    if uphold:
        ev = repository.evaluation(session, rect.evaluation_id)
        assert ev is not None
        ev.excluded = True
    session.flush()
    if uphold:
        records.push(session, ev, "overturned")
    return rect


def recompute_provisional_rectifications(session: Session, settings: Settings) -> int:
    """After a calendar import: recompute the due dates of open rectifications whose
    deadline ran through a year the calendar did not know. Returns how many changed."""
    cal = load_calendar(session)
    changed = 0
    for rect in open_provisional(session, Rectification):
        workdays = rect.deadline_workdays or settings.rectification_workdays
        due = rectification_deadline(cal, rect.created_at, workdays)
        before = (rect.due_date, rect.deadline_provisional)
        rect.due_date, rect.deadline_provisional = due.date, due.provisional
        changed += before != (rect.due_date, rect.deadline_provisional)
    session.flush()
    return changed


def _recount_rectifications(session: Session) -> int:
    return recompute_provisional_rectifications(session, get_settings())


def install_hooks() -> None:
    """The ``evaluate`` move's effect is feedback's (``cases.hooks``); rectification
    deadlines are recounted after a calendar import (``deadlines.service``)."""
    hooks.set_evaluate(window_evaluation)
    on_provisional_recount("rectifications", _recount_rectifications)
