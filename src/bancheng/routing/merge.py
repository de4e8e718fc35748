"""并单: merging a duplicate case (the follower) into the case that carries the work (the
master), undoing it, and carrying the master's end to its followers.

While merged, a follower waits: no lifecycle move is made on it (``cases.actions.perform``
refuses them), its yellow/red lights and escalation stop (the sweeper skips it), and it is
left out of the ledger and the insights (a merged group counts once, by its master:
docs/metrics.md). Its deadline is not changed: the reporter's clock is the master's now,
and on undo the follower's own deadline applies again.

When the master gives its feedback (一次性告知), every open follower takes the master's
outcome (result, explanation, the unit that resolved it) and moves to ``feedback_given``
with a ``give_feedback`` event: the reporter is told the result and invited to rate
through the usual notifications (``notify.events``), and can rate on the phone page.
When the master is closed, its followers close with it, except one whose reporter rated
it badly: that one stays for its own rectification or reopening (a reopened follower is
its own case again).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bancheng.cases import repository as repo
from bancheng.cases.enums import BAD_RATINGS, OPEN_STATES, State
from bancheng.cases.lifecycle import check_version, transition
from bancheng.cases.models import Case
from bancheng.cases.service import add_event, notify_event
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Forbidden, Invalid
from bancheng.org.scope import Principal
from bancheng.routing import repository as routing_repo
from bancheng.routing.models import CaseMerge

OPEN = frozenset(s.value for s in OPEN_STATES)
BAD = frozenset(r.value for r in BAD_RATINGS)
REASON_MAX = 500


def _reason(text: str | None, code: str, detail: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise Invalid(code, detail, field="reason")
    return reason[:REASON_MAX]


def current_merge(session: Session, case_id: int) -> CaseMerge | None:
    """The merge that holds the case now (not undone)."""
    return routing_repo.current_merge(session, case_id)


def followers(session: Session, master_id: int) -> list[Case]:
    return routing_repo.followers(session, master_id)


def merge(
    session: Session,
    principal: Principal,
    follower: Case,
    master: Case,
    reason: str | None,
    version: int,
    score: float | None = None,
) -> CaseMerge:
    """Merge ``follower`` into ``master``. Both are in the caller's scope (the caller
    looked them up through ``repository.get_case``). Nothing is written when refused."""
    if principal.role not in ("clerk", "supervisor") or not principal.can("case.merge"):
        raise Forbidden("case.action_forbidden", "您的角色不能执行此操作")
    check_version(follower, version)
    text = _reason(reason, "case.merge_reason_required", "请填写并单理由")
    if follower.id == master.id:
        raise Invalid("case.merge_self", "不能把案件并入自身", field="master_id")
    if follower.merged_into_id is not None:
        raise Conflict("case.merge_already_merged", "该案件已并入其他案件")
    if master.merged_into_id is not None:
        raise Conflict("case.merge_master_is_follower", "主案件本身已并入其他案件，请并入其主案件")
    if follower.state not in OPEN or master.state not in OPEN:
        raise Conflict("case.merge_not_open", "只有办理中的案件可以并单（含主案件）")
    if followers(session, follower.id):
        raise Conflict("case.merge_has_followers", "该案件已有并入的案件，不能再并入其他案件")
    if principal.role != "supervisor":
        unit = principal.unit_department_ids
        if (
            follower.first_receipt_department_id not in unit
            and follower.current_department_id not in unit
        ):
            raise Forbidden("case.not_your_unit", "该案件不在您所在单位办理")
    now = clock.now()
    row = CaseMerge(
        case_id=follower.id,
        master_id=master.id,
        reason=text,
        score=score,
        merged_at=now,
        merged_by_id=principal.user_id or None,
    )
    session.add(row)
    follower.merged_into_id = master.id
    follower.updated_at = now
    session.flush()
    add_event(
        session,
        follower,
        "merge",
        follower.state,
        follower.state,
        principal,
        reason=text,
        details={"master_id": master.id, "master_number": master.number, "merge_id": row.id},
    )
    _on_master(session, master, "merge_follower", principal, text, follower)
    session.flush()
    return row


def undo(
    session: Session, principal: Principal, follower: Case, reason: str | None, version: int
) -> CaseMerge:
    """Undo the merge of ``follower`` (supervisors): it is its own case again, in the state
    it kept, with its own deadline. Refused once the master's outcome reached it."""
    if principal.role != "supervisor" or not principal.can("case.merge_undo"):
        raise Forbidden("case.merge_undo_forbidden", "只有督查员可以撤销并单")
    check_version(follower, version)
    text = _reason(reason, "case.merge_undo_reason_required", "请填写撤销并单的理由")
    row = current_merge(session, follower.id) if follower.merged_into_id is not None else None
    if row is None:
        raise Conflict("case.merge_not_merged", "该案件未并单")
    if follower.state not in OPEN:
        raise Conflict("case.merge_undo_too_late", "主案件的办理结果已告知本件反映人，不能撤销并单")
    master = routing_repo.case(session, row.master_id)
    now = clock.now()
    row.undone_at = now
    row.undone_by_id = principal.user_id or None
    row.undo_reason = text
    follower.merged_into_id = None
    follower.updated_at = now
    session.flush()
    add_event(
        session,
        follower,
        "unmerge",
        follower.state,
        follower.state,
        principal,
        reason=text,
        details={"master_id": row.master_id, "master_number": master.number if master else None},
    )
    if master is not None:
        _on_master(session, master, "unmerge_follower", principal, text, follower)
    session.flush()
    return row


def _on_master(
    session: Session, master: Case, action: str, principal: Principal, text: str, follower: Case
) -> None:
    """The internal event on the master's timeline naming the follower merged or unmerged."""
    add_event(
        session,
        master,
        action,
        master.state,
        master.state,
        principal,
        reason=text,
        details={"follower_id": follower.id, "follower_number": follower.number},
        public=False,
    )


def _copy_outcome(session: Session, master: Case, follower: Case, now: datetime) -> None:
    follower.outcome = master.outcome
    follower.resolution = master.resolution
    follower.nature = master.nature if master.outcome == "cannot_by_policy" else follower.nature
    follower.policy_explanation = master.policy_explanation
    follower.alternative = master.alternative
    follower.alternative_owner = master.alternative_owner
    follower.notification_text = master.notification_text
    follower.notification_materials = list(master.notification_materials or [])
    follower.resolved_at = master.resolved_at or now
    follower.needs_supervision = False
    # The rating is about the unit that did the work.
    if follower.current_department_id != master.current_department_id:
        follower.current_department_id = master.current_department_id
        repo.involve(session, follower.id, master.current_department_id)
    follower.assignee_id = master.assignee_id


def on_master_move(
    session: Session, settings: Settings, principal: Principal, master: Case, action: str
) -> None:
    """After a move of a case with followers (``perform``, flushed): the feedback and the
    closing reach them."""
    if action not in ("give_feedback", "close"):
        return
    now = clock.now()
    for f in followers(session, master.id):
        if action == "give_feedback" and f.state in OPEN:
            before = f.state
            _copy_outcome(session, master, f, now)
            transition(f, State.feedback_given, now)
            event = add_event(
                session,
                f,
                "give_feedback",
                before,
                State.feedback_given,
                principal,
                details={
                    "with_master": True,
                    "master_id": master.id,
                    "master_number": master.number,
                    "materials": f.notification_materials,
                },
            )
            session.flush()
            notify_event(session, settings, f, event)
        elif action == "close" and (
            f.state == State.feedback_given.value
            or (f.state == State.evaluated.value and f.rating not in BAD)
        ):
            before = f.state
            transition(f, State.closed, now)
            f.closed_at = now
            event = add_event(
                session,
                f,
                "close",
                before,
                State.closed,
                principal,
                details={
                    "with_master": True,
                    "master_id": master.id,
                    "master_number": master.number,
                },
            )
            session.flush()
            notify_event(session, settings, f, event)


def detach_on_reopen(session: Session, case: Case, details: dict[str, object]) -> None:
    """A reopened follower (its reporter was not satisfied) is its own case again."""
    if case.merged_into_id is None:
        return
    row = current_merge(session, case.id)
    if row is not None:
        row.undone_at = clock.now()
        row.undo_reason = "重办"
    details["detached_from_master_id"] = case.merged_into_id
    case.merged_into_id = None
