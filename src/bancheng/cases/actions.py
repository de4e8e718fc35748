"""The move mechanism: ``perform`` makes one lifecycle move, ``available_actions`` lists
the moves the caller may make now. Both read the table (``cases/lifecycle.py``) and each
move's guard (``cases/moves.py``); neither knows any move by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.co_handling import outstanding
from bancheng.cases.enums import OPEN_STATES, State
from bancheng.cases.lifecycle import (
    MOVES,
    MOVES_BY_ACTION,
    RESUME,
    SCOPE_WIDE_ROLES,
    Move,
    MoveContext,
    Need,
    check_version,
    transition,
)
from bancheng.cases.models import Case
from bancheng.cases.moves import RULES, clear_end_request
from bancheng.cases.schemas import ActionIn, AvailableAction, RequiredWhen
from bancheng.cases.service import add_event, notify_event
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Forbidden, Invalid
from bancheng.org.scope import Principal

# Leaving these states, a pending request to end the case as unreasonable/invalid lapses.
END_REQUEST_STATES = MOVES_BY_ACTION["request_end"].sources


def related(move: Move, case: Case, principal: Principal) -> bool:
    if move.relation == "scope" or principal.role in SCOPE_WIDE_ROLES:
        return True
    unit = principal.unit_department_ids
    if move.relation == "current":
        return case.current_department_id in unit
    if move.relation == "co_handler":
        return any(c.department_id in unit for c in outstanding(case))
    # origin: the unit that received the case first, or the unit that has it now
    return case.first_receipt_department_id in unit or case.current_department_id in unit


def _may(move: Move, case: Case, principal: Principal) -> bool:
    return (
        State(case.state) in move.sources
        and principal.role in move.roles
        and principal.can("case.act")
        and related(move, case, principal)
    )


def _waits_for_master(case: Case) -> bool:
    """A merged follower waits for its master (routing.merge): no move of its own."""
    return case.merged_into_id is not None and State(case.state) in OPEN_STATES


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_needs(needs: tuple[Need, ...], body: ActionIn) -> None:
    """The one check of a move's needed fields (see ``Need``)."""
    missing = [
        n
        for n in needs
        if not n.by_effect
        and (n.when is None or getattr(body, n.when[0]) == n.when[1])
        and _missing(getattr(body, n.field))
    ]
    if not missing:
        return
    first = missing[0]
    if first.code is None:
        raise Invalid(f"case.{first.field}_required", first.message, field=first.field)
    raise Invalid(
        first.code, first.message, fields=[n.field for n in missing if n.code == first.code]
    )


def available_actions(
    session: Session, case: Case, principal: Principal, settings: Settings
) -> list[AvailableAction]:
    """The moves the caller may make on the case now: those whose table checks and guard
    pass, each with the fields it needs (always, or when another field has a value)."""
    if _waits_for_master(case):
        return []
    out: list[AvailableAction] = []
    ctx = MoveContext(
        session, settings, principal, case, clock.now(), ActionIn(version=case.version)
    )
    for move in MOVES:
        rule = RULES[move.action]
        if not _may(move, case, principal) or rule.guard(ctx) is not None:
            continue
        extra = rule.needs(ctx)
        out.append(
            AvailableAction(
                action=move.action,
                label=move.label_zh,
                required=[*move.required, *(n.field for n in extra if n.when is None)],
                required_when=[
                    RequiredWhen(field=n.field, when_field=n.when[0], equals=n.when[1])
                    for n in (*move.required_when, *extra)
                    if n.when is not None
                ],
                warning=rule.warning(ctx),
            )
        )
    return out


def perform(
    session: Session,
    settings: Settings,
    principal: Principal,
    case: Case,
    action: str,
    body: ActionIn,
) -> Case:
    """Make one move: the table's checks (version, role, state, relation), the move's
    guard, its needed fields, its effect, the state change and the timeline event, then
    the notices. Flushes, never commits."""
    move = MOVES_BY_ACTION.get(action)
    if move is None:
        raise Invalid("case.unknown_action", f"未知操作：{action}")
    check_version(case, body.version)
    if principal.role not in move.roles or not principal.can("case.act"):
        raise Forbidden("case.action_forbidden", "您的角色不能执行此操作")
    if State(case.state) not in move.sources:
        raise Conflict(
            "case.illegal_transition",
            f"当前状态不能执行“{move.label_zh}”",
            state=case.state,
            action=action,
        )
    if not related(move, case, principal):
        raise Forbidden("case.not_your_unit", "该案件不在您所在单位办理")
    if _waits_for_master(case):
        raise Conflict(
            "case.merged_follower", "该案件已并单，随主案件办理；如需单独办理请先撤销并单"
        )

    rule = RULES[action]
    before = State(case.state)
    ctx = MoveContext(
        session,
        settings,
        principal,
        case,
        clock.now(),
        body,
        target=(
            State(case.suspended_from or State.in_progress)
            if move.target == RESUME
            else (State(move.target) if move.target else None)
        ),
        event_action=action,
        public=move.public,
        reason=(body.reason or "").strip() or None,
    )
    refusal = rule.guard(ctx)
    if refusal is not None:
        raise refusal
    check_needs((*move.needs, *rule.needs(ctx)), body)
    rule.effect(ctx)

    target, details = ctx.target, ctx.details
    if target is not None and target not in END_REQUEST_STATES and case.end_request is not None:
        # The case moved on (resolved, transferred, returned, suspended): the request lapses.
        details["end_request_lapsed"] = case.end_request
        clear_end_request(case)
    if target is not None:
        transition(case, target, ctx.now)
        if target == State.resolved and case.needs_supervision:
            # Resolved: the coordination it was flagged for is over (the reason stays).
            case.needs_supervision = False
            details["supervision_cleared"] = True
    case.updated_at = ctx.now
    moved = add_event(
        session,
        case,
        ctx.event_action,
        before,
        target or before,
        principal,
        reason=ctx.reason,
        details=details,
        public=ctx.public,
    )
    session.flush()
    for then in ctx.recorded:
        then()
    notify_event(session, settings, case, moved)
    for then in ctx.settled:
        then()
    return case
