"""好差评 rules: the reporter's evaluation (rounds), rectification of a bad review with a
deadline in working days, appeals decided by a supervisor, callbacks (every bad review and
a deterministic sample of closed cases), and the reminder when no rating comes."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bancheng.cases import service as case_service
from bancheng.cases.enums import BAD_RATINGS, Channel, Rating, State
from bancheng.cases.hooks import hooks
from bancheng.cases.lifecycle import MoveContext, given, transition
from bancheng.cases.models import Case, CaseEvent
from bancheng.cases.schemas import CaseCreate, ReporterIn
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.errors import Conflict, Invalid, NotFound
from bancheng.feedback.models import (
    CallbackAttempt,
    CallbackTask,
    Evaluation,
    IndicatorSet,
    Rectification,
)
from bancheng.notify import service as notify
from bancheng.org.models import Department
from bancheng.org.scope import Principal, sees_unit
from bancheng.sla.calendar import load_calendar
from bancheng.sla.service import on_provisional_recount

BAD = frozenset(r.value for r in BAD_RATINGS)
ATTEMPT_OUTCOMES = ("reached", "unreachable", "refused")


# --- evaluations -----------------------------------------------------------------------


def current_round(session: Session, case_id: int) -> int:
    n = session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.case_id == case_id)
    )
    return int(n or 0) + 1


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
    _push(session, ev, "evaluated")
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
        _push(session, ev, "evaluated")
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
            channel="hall",
            iset=window_set,
            scores=scores,
            bad_reasons=reasons,
            push=True,
        )
    )


def _push(session: Session, ev: Evaluation | None, stage: str) -> None:
    """The record goes to the unified 好差评 system (through the outbox)."""
    if ev is None:
        return
    from bancheng.integrations.haochaping import queue_push

    queue_push(session, ev, stage)


def open_rectification(
    session: Session, settings: Settings, case: Case, ev: Evaluation
) -> Rectification:
    today = clock.to_local(clock.now()).date()
    deadline = load_calendar(session).add_workdays(today, settings.rectification_workdays)
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
    notify.notice(
        session,
        department_id=case.current_department_id,
        case_id=case.id,
        kind="rectification",
        title=f"差评整改：{case.number}",
        body=f"群众评价为“不满意”，请于{due.isoformat()}前完成整改并重新办理。",
        key=f"rectification:{case.number}:{rect.id}",
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
    rect = session.get(Rectification, rect_id)
    if rect is None or not _in_scope(principal, rect.department_id):
        raise NotFound("feedback.not_found", "整改任务不存在")
    return rect


def _in_scope(principal: Principal, department_id: int) -> bool:
    return sees_unit(principal, department_id)


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
    case = session.get(Case, rect.case_id)
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
    _push(session, session.get(Evaluation, rect.evaluation_id), "rectified")
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
        ev = session.get(Evaluation, rect.evaluation_id)
        assert ev is not None
        ev.excluded = True
    session.flush()
    if uphold:
        _push(session, ev, "overturned")
    return rect


# --- callbacks ---------------------------------------------------------------------------


def ensure_callback(session: Session, case: Case, reason: str, rnd: int = 1) -> CallbackTask:
    found = session.scalar(
        select(CallbackTask).where(
            CallbackTask.case_id == case.id,
            CallbackTask.reason == reason,
            CallbackTask.round == rnd,
        )
    )
    if found is not None:
        return found
    task = CallbackTask(
        case_id=case.id,
        department_id=case.current_department_id,
        reason=reason,
        round=rnd,
        status="open",
        failed_attempts=0,
        created_at=clock.now(),
    )
    session.add(task)
    session.flush()
    return task


def sample_rates(settings: Settings) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in settings.callback_sample_rates.split(","):
        if ":" in part:
            code, rate = part.rsplit(":", 1)
            out[code.strip()] = float(rate)
    return out


def sample_fraction(number: str, secret: str) -> float:
    """A stable number in [0, 1) for a case: sampled when below the department's rate."""
    digest = hashlib.sha256(f"{secret}:callback:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_sampled(number: str, rate: float, secret: str) -> bool:
    return sample_fraction(number, secret) < rate


def sample_closed(
    session: Session, settings: Settings, since: datetime | None = None
) -> list[CallbackTask]:
    """Create sample callbacks for closed cases (closed since ``since``, default the last
    30 days). Deterministic per case, so running it again changes nothing."""
    since = since or clock.now() - timedelta(days=30)
    rates = sample_rates(settings)
    codes: dict[int, str] = {
        i: c for i, c in session.execute(select(Department.id, Department.code)).all()
    }
    have = select(CallbackTask.case_id).where(CallbackTask.reason == "sample")
    rows = session.scalars(
        select(Case).where(
            Case.state == State.closed.value,
            Case.closed_at >= since,
            Case.id.not_in(have),
        )
    ).all()
    made = []
    for case in rows:
        rate = rates.get(codes.get(case.current_department_id, ""), settings.callback_sample_rate)
        if is_sampled(case.number, rate, settings.secret_key):
            made.append(ensure_callback(session, case, "sample"))
    return made


def get_task(session: Session, principal: Principal, task_id: int) -> CallbackTask:
    task = session.get(CallbackTask, task_id)
    if task is None or not _in_scope(principal, task.department_id):
        raise NotFound("callback.not_found", "回访任务不存在")
    return task


def record_attempt(
    session: Session,
    settings: Settings,
    principal: Principal,
    task_id: int,
    outcome: str,
    note: str | None,
) -> CallbackTask:
    task = get_task(session, principal, task_id)
    if task.status != "open":
        raise Conflict("callback.closed", "该回访任务已结束")
    if outcome not in ATTEMPT_OUTCOMES:
        raise Invalid("callback.outcome_invalid", "回访结果无效", field="outcome")
    now = clock.now()
    session.add(
        CallbackAttempt(
            task_id=task.id, at=now, outcome=outcome, note=note, user_id=principal.user_id
        )
    )
    if outcome == "reached":
        task.status = "reached"
    elif outcome == "refused":
        task.status = "refused"
        task.closed_at = now
    else:
        task.failed_attempts += 1
        if task.failed_attempts >= settings.callback_max_attempts:
            task.status = "unreachable"
            task.closed_at = now
    session.flush()
    return task


def confirm(
    session: Session, principal: Principal, task_id: int, resolved: bool, note: str | None
) -> CallbackTask:
    task = get_task(session, principal, task_id)
    if task.status != "reached":
        raise Conflict("callback.not_reached", "须先联系上反映人才能确认办理结果")
    task.confirmed_resolved = resolved
    task.confirm_note = (note or "").strip() or None
    task.closed_at = clock.now()
    case = session.get(Case, task.case_id)
    assert case is not None
    case_service.add_event(
        session,
        case,
        "callback",
        case.state,
        case.state,
        principal,
        details={"task_id": task.id, "confirmed_resolved": resolved},
        public=False,
    )
    session.flush()
    if task.reason == "bad_review":
        _push(
            session,
            session.scalar(
                select(Evaluation).where(
                    Evaluation.case_id == task.case_id, Evaluation.round == task.round
                )
            ),
            "revisited",
        )
    return task


def raise_case(
    session: Session,
    settings: Settings,
    principal: Principal,
    task_id: int,
    title: str,
    description: str,
    kind: str,
) -> Case:
    """未诉先办: a new case found during the call, with the reporter of the called case."""
    task = get_task(session, principal, task_id)
    if task.new_case_id is not None:
        existing = session.get(Case, task.new_case_id)
        assert existing is not None
        return existing
    old = session.get(Case, task.case_id)
    assert old is not None
    phone = case_service.reveal_reporter(old)["phone"] or ""
    data = CaseCreate(
        channel=Channel.callback,
        kind=kind,  # type: ignore[arg-type]
        title=title,
        description=description,
        reporter=ReporterIn(
            type=old.reporter_type,  # type: ignore[arg-type]
            name=old.reporter_name,
            phone=phone,
            org_name=old.reporter_org_name,
            credit_code=old.reporter_credit_code,
        ),
        matter_id=old.matter_id,
    )
    case, _ = case_service.create_case(session, settings, principal, data)
    task.new_case_id = case.id
    session.flush()
    return case


# --- reminders ---------------------------------------------------------------------------


def _feedback_at(session: Session, case_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case_id, CaseEvent.action == "give_feedback"
        )
    )


def rating_window_end(session: Session, settings: Settings, feedback_at: datetime) -> date:
    """The last day the reporter may rate: ``rating_window_workdays`` working days after
    the feedback."""
    cal = load_calendar(session)
    return cal.add_workdays(feedback_at, settings.rating_window_workdays).date


def remind_unrated(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Once per feedback round, ``rating_reminder_days`` working days after the feedback
    and still unrated: an SMS to the reporter with the rating link, and a notice to the
    first-receipt unit."""
    now = now or clock.now()
    cal = load_calendar(session)
    today = clock.to_local(now).date()
    cases = session.scalars(select(Case).where(Case.state == State.feedback_given.value)).all()
    made = 0
    for case in cases:
        fb = _feedback_at(session, case.id)
        if fb is None or cal.workdays_between(fb, today).workdays < settings.rating_reminder_days:
            continue
        already = session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.action == "rating_reminder",
                CaseEvent.at >= fb,
            )
        )
        if already:
            continue
        notify.notice(
            session,
            department_id=case.first_receipt_department_id,
            case_id=case.id,
            kind="rating_reminder",
            title=f"评价提醒：{case.number}",
            body=(
                f"反馈已超过{settings.rating_reminder_days}个工作日，群众尚未评价，"
                "已短信提醒；如未收到请电话提醒评价。"
            ),
        )
        event = case_service.add_event(
            session, case, "rating_reminder", case.state, case.state, None, public=False
        )
        session.flush()
        from bancheng.notify import messages

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
    rows = session.scalars(
        select(Case).where(Case.state == State.feedback_given.value).with_for_update()
    ).all()
    for case in rows:
        fb = _feedback_at(session, case.id)
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
        from bancheng.notify import messages
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


def recompute_provisional_rectifications(session: Session, settings: Settings) -> int:
    """After a calendar import: recompute the due dates of open rectifications whose
    deadline ran through a year the calendar did not know. Returns how many changed."""
    cal = load_calendar(session)
    changed = 0
    rows = session.scalars(
        select(Rectification).where(
            Rectification.status == "open", Rectification.deadline_provisional.is_(True)
        )
    ).all()
    for rect in rows:
        start = clock.to_local(rect.created_at).date()
        due = cal.add_workdays(start, rect.deadline_workdays or settings.rectification_workdays)
        before = (rect.due_date, rect.deadline_provisional)
        rect.due_date, rect.deadline_provisional = due.date, due.provisional
        changed += before != (rect.due_date, rect.deadline_provisional)
    session.flush()
    return changed


def _recount_rectifications(session: Session) -> int:
    return recompute_provisional_rectifications(session, get_settings())


def install_hooks() -> None:
    """The ``evaluate`` move's effect is feedback's (``cases.hooks``); rectification
    deadlines are recounted after a calendar import (``sla.service``)."""
    hooks.set_evaluate(window_evaluation)
    on_provisional_recount("rectifications", _recount_rectifications)
