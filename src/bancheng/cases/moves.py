"""Each lifecycle move's guard and effect, beside the table (``cases/lifecycle.py``).

``RULES`` maps every action of ``MOVES`` to its ``Rule``:

- ``guard(ctx)``: why the move cannot be made on this case now (a ``DomainError``), or
  ``None``. ``perform`` raises it; ``available_actions`` leaves the move out. Nothing else
  decides whether a move is available.
- ``effect(ctx)``: what the move changes, after the table's checks, the guard and the
  needed fields (``Move.needs`` and ``Rule.needs``) have passed. It may validate the
  request further (a unit that exists, a date that is later), add to the event's
  ``details``, and change the target state (``ctx.target``), the event's action or whether
  it is public.
- ``needs(ctx)``: fields needed on this case beyond the table's (closing a dissatisfied
  case needs a reason); ``warning(ctx)``: a code the console shows beside the action.

``MoveContext`` and ``Rule`` are in ``cases/lifecycle.py``; ``perform`` and
``available_actions`` (the move mechanism) in ``cases/actions.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bancheng.cases import case_clock, co_handling, extensions
from bancheng.cases import repository as repo
from bancheng.cases.enums import (
    BAD_RATINGS,
    ENDED_OUTCOMES,
    Difficulty,
    Nature,
    Outcome,
    State,
)
from bancheng.cases.hooks import hooks
from bancheng.cases.lifecycle import ACTIONS, MoveContext, Need, Rule, given, transition
from bancheng.cases.models import Case
from bancheng.cases.service import add_event, department, reclassify
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, DomainError, Forbidden, Invalid

BAD = frozenset(r.value for r in BAD_RATINGS)


# --- shared pieces ----------------------------------------------------------------------


def recall_refusal(case: Case, settings: Settings, now: datetime) -> DomainError | None:
    """Why an automatic dispatch can no longer be recalled, or ``None`` when it can: the
    case was dispatched by the model, is still with the unit the model chose, and the
    recall window has not passed."""
    if (
        case.auto_dispatched_at is None
        or case.auto_misroute is not None
        or case.current_department_id != case.auto_department_id
    ):
        return Conflict("case.recall_not_automatic", "只有仍在自动派往单位的自动派单可以撤回")
    minutes = settings.routing_recall_minutes
    if now > case.auto_dispatched_at + timedelta(minutes=minutes):
        return Conflict(
            "case.recall_window_passed",
            f"自动派单已超过{minutes}分钟，不能撤回；请由承办单位退回或转办",
            minutes=minutes,
        )
    return None


def note_misroute(case: Case, action: str) -> None:
    """The first correction of an automatic dispatch by the unit it went to (or by its
    recall) marks the case misrouted: the correction does not count against the unit that
    receives the case next."""
    if (
        case.auto_dispatched_at is not None
        and case.auto_misroute is None
        and case.current_department_id == case.auto_department_id
    ):
        case.auto_misroute = action


def clear_end_request(case: Case) -> None:
    case.end_request = case.end_request_basis = None
    case.end_requested_by_id = None
    case.end_requested_at = None


def _back_to_first_receipt(ctx: MoveContext, misroute: str) -> None:
    """The case leaves its unit for the first-receipt unit, to be dispatched anew."""
    case = ctx.case
    ctx.details["from_department_id"] = case.current_department_id
    note_misroute(case, misroute)
    co_handling.cancel_co_handlers(case)
    case.current_department_id = case.first_receipt_department_id
    case.assignee_id = None


# --- dispatching ------------------------------------------------------------------------


def dispatch(ctx: MoveContext) -> None:
    case, body = ctx.case, ctx.body
    dept = department(ctx.session, given(body.department_id), "department_id")
    co_ids = co_handling.co_departments(ctx.session, body.co_department_ids or [], dept.id)
    case.current_department_id = dept.id
    case.assignee_id = None
    case.suggested_department_id = None
    repo.involve(ctx.session, case.id, dept.id)
    ctx.details["department_id"] = dept.id
    ctx.details["department_name"] = dept.name
    if co_ids:
        ctx.details["co_handlers"] = co_handling.assign_co_handlers(
            ctx.session, ctx.settings, ctx.principal, case, co_ids, body.co_due_workdays, ctx.now
        )


def recall_guard(ctx: MoveContext) -> DomainError | None:
    return recall_refusal(ctx.case, ctx.settings, ctx.now)


def recall(ctx: MoveContext) -> None:
    case = ctx.case
    co_handling.lapse_objection(ctx.session, case)
    repo.uninvolve(
        ctx.session, case.id, case.current_department_id, keep=case.first_receipt_department_id
    )
    _back_to_first_receipt(ctx, "recall")


def accept(ctx: MoveContext) -> None:
    ctx.case.assignee_id = ctx.principal.user_id
    if ctx.case.accepted_at is None:
        ctx.case.accepted_at = ctx.now


def return_(ctx: MoveContext) -> None:
    case = ctx.case
    dept = department(
        ctx.session,
        given(ctx.body.suggested_department_id),
        "suggested_department_id",
    )
    if dept.id == case.current_department_id:
        raise Invalid(
            "case.return_to_self", "建议承办单位不能是本单位", field="suggested_department_id"
        )
    co_handling.lapse_objection(ctx.session, case)
    _back_to_first_receipt(ctx, "return")
    ctx.details["suggested_department_id"] = dept.id
    ctx.details["suggested_department_name"] = dept.name
    case.suggested_department_id = dept.id
    case.return_count += 1


def _pending_objection(ctx: MoveContext) -> Any:
    return ctx.memo("objection", lambda: repo.pending_objection(ctx.session, ctx.case.id))


def _pending_extension(ctx: MoveContext) -> Any:
    return ctx.memo("extension", lambda: repo.pending_extension(ctx.session, ctx.case.id))


def object_guard(ctx: MoveContext) -> DomainError | None:
    if _pending_objection(ctx) is not None:
        return Conflict("case.objection_pending", "已有待审批的退单申请")
    return None


def object_(ctx: MoveContext) -> None:
    co_handling.raise_objection(
        ctx.session, ctx.principal, ctx.case, ctx.body, ctx.reason, ctx.now, ctx.details
    )


def decide_objection_guard(ctx: MoveContext) -> DomainError | None:
    row = _pending_objection(ctx)
    if row is None:
        return Conflict("case.no_pending_objection", "没有待审批的退单申请")
    if row.department_id in ctx.principal.unit_department_ids:
        return Forbidden("case.objection_own_unit", "不能审批本单位提出的退单申请")
    return None


def decide_objection(ctx: MoveContext) -> None:
    """Accept (the case goes back to the first-receipt unit to be re-dispatched) or reject
    (it stays with the unit)."""
    approve = bool(ctx.body.approve)
    row = co_handling.decide_objection(
        ctx.session, ctx.principal, ctx.case, approve, ctx.reason, ctx.now, ctx.details
    )
    if not approve:
        ctx.event_action = "objection_rejected"
        return
    ctx.event_action = "objection_accepted"
    ctx.target = State.registered
    _back_to_first_receipt(ctx, "return")
    ctx.case.suggested_department_id = row.suggested_department_id
    ctx.case.return_count += 1


def co_reply(ctx: MoveContext) -> None:
    co_handling.co_reply(ctx.session, ctx.principal, ctx.case, ctx.body, ctx.now, ctx.details)


# --- handling ---------------------------------------------------------------------------


def start(ctx: MoveContext) -> None:
    """Nothing beyond the state change."""


def transfer_warning(ctx: MoveContext) -> str | None:
    if ctx.case.transfer_count >= ctx.settings.max_transfers:
        return "case.transfer_limit_reached"
    return None


def transfer(ctx: MoveContext) -> None:
    case, settings = ctx.case, ctx.settings
    dept = department(ctx.session, given(ctx.body.department_id), "department_id")
    if dept.id == case.current_department_id:
        raise Invalid("case.transfer_to_self", "不能转办给本单位", field="department_id")
    if case.transfer_count >= settings.max_transfers:
        # Over the limit: the case goes to supervision instead, and that is kept.
        if not case.needs_supervision:
            case.needs_supervision = True
            case.supervision_reason = "transfer_limit"
            case.updated_at = ctx.now
            add_event(
                ctx.session,
                case,
                "flag_supervision",
                case.state,
                case.state,
                ctx.principal,
                reason=ctx.reason,
                details={
                    "cause": "transfer_limit",
                    "transfer_count": case.transfer_count,
                    "requested_department_id": dept.id,
                },
            )
            ctx.session.flush()
        err = Conflict(
            "case.transfer_limit_reached",
            f"转办次数已达上限（{settings.max_transfers}次），已提交督查协调",
            max_transfers=settings.max_transfers,
        )
        err.commit_changes = True
        raise err
    ctx.details["from_department_id"] = case.current_department_id
    ctx.details["department_id"] = dept.id
    ctx.details["department_name"] = dept.name
    note_misroute(case, "transfer")
    co_handling.lapse_objection(ctx.session, case)
    case.transfer_count += 1
    case.current_department_id = dept.id
    case.assignee_id = None
    repo.involve(ctx.session, case.id, dept.id)


def suspend(ctx: MoveContext) -> None:
    ctx.case.suspended_from = ctx.case.state
    case_clock.suspend(ctx.case, ctx.now)


def resume(ctx: MoveContext) -> None:
    case = ctx.case
    case.suspended_from = None
    paused = case_clock.resume(ctx.session, case, ctx.now)
    ctx.details["paused_seconds"] = round(paused)
    ctx.details["due_date"] = case.due_date.isoformat() if case.due_date else None


def request_extension_guard(ctx: MoveContext) -> DomainError | None:
    return extensions.request_refusal(ctx.case, ctx.now, _pending_extension(ctx))


def request_extension(ctx: MoveContext) -> None:
    extensions.request_extension(
        ctx.session,
        ctx.principal,
        ctx.case,
        given(ctx.body.new_due_date),
        ctx.reason,
        ctx.now,
        ctx.details,
    )


def decide_extension_guard(ctx: MoveContext) -> DomainError | None:
    return extensions.decide_refusal(_pending_extension(ctx))


def decide_extension(ctx: MoveContext) -> None:
    extensions.decide_extension(
        ctx.session,
        ctx.principal,
        ctx.case,
        bool(ctx.body.approve),
        ctx.reason,
        ctx.now,
        ctx.details,
    )


def classify(ctx: MoveContext) -> None:
    reclassify(ctx.session, ctx.case, ctx.body, ctx.details)


# --- resolving --------------------------------------------------------------------------


def _resolve_with(ctx: MoveContext) -> Outcome:
    """Record the resolution. The no-veto fields (``Move.needs``) were checked; an
    unreasonable or invalid outcome is not the unit's to pick (``request_end``)."""
    outcome = Outcome(given(ctx.body.outcome))
    if outcome in ENDED_OUTCOMES:
        raise Invalid(
            "case.end_requires_approval",
            "按不合理或无效诉求办结须申请，经督查人员批准",
            field="outcome",
        )
    return outcome


def _record_resolution(ctx: MoveContext, outcome: Outcome) -> None:
    case, body = ctx.case, ctx.body
    case.outcome = outcome.value
    case.resolution = body.resolution
    if outcome == Outcome.cannot_by_policy:
        case.nature = Nature.cannot_by_policy.value
        case.policy_explanation = body.policy_explanation
        case.alternative = body.alternative
        case.alternative_owner = body.alternative_owner
    case.resolved_at = ctx.now
    ctx.details["outcome"] = outcome.value


def resolve_on_spot(ctx: MoveContext) -> None:
    _record_resolution(ctx, _resolve_with(ctx))
    ctx.case.resolved_on_spot = True
    ctx.case.difficulty = Difficulty.immediate.value


def resolve_needs(ctx: MoveContext) -> tuple[Need, ...]:
    if co_handling.outstanding(ctx.case):
        # listed for the form; ``close_co_handling`` checks it (its error names the units)
        return (Need("co_handling_note", "请说明不等待协办回复即办结的理由", by_effect=True),)
    return ()


def resolve(ctx: MoveContext) -> None:
    outcome = _resolve_with(ctx)
    co_handling.close_co_handling(ctx.session, ctx.case, ctx.body, ctx.details)
    if ctx.reason is None and ctx.details.get("co_handling_note"):
        ctx.reason = ctx.details["co_handling_note"]
    _record_resolution(ctx, outcome)


def request_end_guard(ctx: MoveContext) -> DomainError | None:
    if ctx.case.end_request is not None:
        return Conflict("case.end_request_pending", "已有待审批的不合理/无效诉求申请")
    return None


def request_end(ctx: MoveContext) -> None:
    case = ctx.case
    case.end_request = ctx.body.end_as
    case.end_request_basis = ctx.reason
    case.end_requested_by_id = ctx.principal.user_id or None
    case.end_requested_at = ctx.now
    ctx.details["end_as"] = ctx.body.end_as


def decide_end_guard(ctx: MoveContext) -> DomainError | None:
    if ctx.case.end_request is None:
        return Conflict("case.no_end_request", "没有待审批的不合理/无效诉求申请")
    return None


def decide_end(ctx: MoveContext) -> None:
    case, approve = ctx.case, bool(ctx.body.approve)
    ctx.details.update(end_as=case.end_request, approved=approve, basis=case.end_request_basis)
    if approve:
        # Resolved with that outcome: the reporter is told as for any resolution
        # (一次性告知), and the case is left out of the assessment (docs/metrics.md).
        ctx.target = State.resolved
        case.outcome = case.end_request
        case.resolution = case.end_request_basis
        case.resolved_at = ctx.now
        ctx.public = True
        # Resolved without the lead's resolve: replies still awaited and a pending 退单
        # are moot (recorded on the event).
        co_handling.lapse_co_handlers(ctx.session, case, ctx.details)
        co_handling.lapse_objection(ctx.session, case)
    clear_end_request(case)


# --- after the resolution ---------------------------------------------------------------


def _follow_master(ctx: MoveContext, action: str) -> None:
    """A master's feedback and closing reach its merged followers (after the notices:
    ``hooks.master_moved``, routing's merge)."""
    for follow in hooks.master_moved():
        ctx.settled.append(
            partial(follow, ctx.session, ctx.settings, ctx.principal, ctx.case, action)
        )


def give_feedback(ctx: MoveContext) -> None:
    case = ctx.case
    case.notification_text = ctx.body.notification_text
    case.notification_materials = ctx.body.notification_materials or []
    ctx.details["materials"] = case.notification_materials
    _follow_master(ctx, "give_feedback")


def evaluate(ctx: MoveContext) -> None:
    """A rating given at the window, entered for the reporter: feedback's effect
    (``hooks.evaluate``, ``feedback.service.window_evaluation``)."""
    hooks.evaluate()(ctx)


def close_guard(ctx: MoveContext) -> DomainError | None:
    if ctx.case.rating in BAD and ctx.principal.role != "supervisor":
        return Conflict("case.bad_rating_requires_reopen", "评价不满意的案件须重办，不能直接归档")
    return None


def close_needs(ctx: MoveContext) -> tuple[Need, ...]:
    if ctx.case.rating in BAD:
        return (Need("reason", "请填写不满意件直接归档的理由"),)
    return ()


def close(ctx: MoveContext) -> None:
    ctx.case.closed_at = ctx.now
    _follow_master(ctx, "close")


def reopen_guard(ctx: MoveContext) -> DomainError | None:
    if ctx.case.rating not in BAD:
        return Conflict("case.reopen_requires_dissatisfaction", "只有评价不满意的案件才能重办")
    return None


def reopen(ctx: MoveContext) -> None:
    case, details = ctx.case, ctx.details
    details["previous_rating"] = case.rating
    details["previous_outcome"] = case.outcome
    for detach in hooks.reopened():  # a merged follower is its own case again
        detach(ctx.session, case, details)
    case.rating = None
    case.reopen_count += 1
    # The earlier resolution stays in the timeline; the case is open again.
    case.resolved_at = None
    case.outcome = None
    case.resolution = None
    case.resolved_on_spot = False
    if case.nature == Nature.cannot_by_policy.value:
        case.nature = None
    case.policy_explanation = case.alternative = case.alternative_owner = None
    transition(case, State.reopened, ctx.now)  # the new clock starts in the new state
    case_clock.start_clock(ctx.session, case, ctx.now)
    details["due_date"] = case.due_date.isoformat() if case.due_date else None


RULES: dict[str, Rule] = {
    "dispatch": Rule(dispatch),
    "resolve_on_spot": Rule(resolve_on_spot),
    "accept": Rule(accept),
    "recall": Rule(recall, recall_guard),
    "return": Rule(return_),
    "object": Rule(object_, object_guard),
    "decide_objection": Rule(decide_objection, decide_objection_guard),
    "co_reply": Rule(co_reply),
    "start": Rule(start),
    "transfer": Rule(transfer, warning=transfer_warning),
    "suspend": Rule(suspend),
    "resume": Rule(resume),
    "resolve": Rule(resolve, needs=resolve_needs),
    "give_feedback": Rule(give_feedback),
    "evaluate": Rule(evaluate),
    "close": Rule(close, close_guard, needs=close_needs),
    "reopen": Rule(reopen, reopen_guard),
    "classify": Rule(classify),
    "request_extension": Rule(request_extension, request_extension_guard),
    "decide_extension": Rule(decide_extension, decide_extension_guard),
    "request_end": Rule(request_end, request_end_guard),
    "decide_end": Rule(decide_end, decide_end_guard),
}
assert tuple(RULES) == ACTIONS, "every move of the table has its rule, in the table's order"
