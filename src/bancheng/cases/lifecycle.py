"""The case lifecycle as data: one table of allowed moves; ``service.perform`` applies them.

A move names the states it starts from, the state it leads to (``None``: no state change;
``RESUME``: back to the state the case was suspended from), the roles that may make it,
who among those roles may make it on a given case (``relation``), and the fields its guard
needs. The UI asks ``GET /cases/{id}/actions``; it never re-implements this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bancheng.cases.enums import OPEN_STATES, State

RESUME = "__resume__"

# relation: who may act, beyond having the role and the case in their data scope
#   "scope"   — any case in the actor's data scope
#   "current" — the case is currently with the actor's unit (or a unit below it)
#   "origin"  — the actor's unit received the case first, or the case is with the actor's unit
#   "co_handler" — the actor's unit (or a unit below it) is a co-handler awaiting its reply


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[State]
    target: State | str | None
    roles: frozenset[str]
    relation: str
    required: tuple[str, ...] = ()
    label_zh: str = ""
    public: bool = True
    options: dict[str, str] = field(default_factory=dict)


def _m(
    action: str,
    sources: set[State],
    target: State | str | None,
    roles: set[str],
    relation: str,
    required: tuple[str, ...] = (),
    label_zh: str = "",
    public: bool = True,
) -> Move:
    return Move(
        action, frozenset(sources), target, frozenset(roles), relation, required, label_zh, public
    )


S = State
MOVES: tuple[Move, ...] = (
    _m(
        "dispatch",
        {S.registered, S.reopened},
        S.dispatched,
        {"clerk", "supervisor"},
        "origin",
        ("department_id",),
        "派单",
    ),
    _m(
        "resolve_on_spot",
        {S.registered},
        S.resolved,
        {"clerk"},
        "origin",
        ("outcome", "resolution"),
        "现场办结",
    ),
    _m("accept", {S.dispatched}, S.accepted, {"handler"}, "current", (), "签收"),
    # Only an automatic dispatch, only while it is still with the unit the model chose, and
    # only within ``routing_recall_minutes`` (guards in ``service``).
    _m(
        "recall",
        {S.dispatched, S.accepted},
        S.registered,
        {"clerk", "supervisor"},
        "origin",
        ("reason",),
        "撤回自动派单",
    ),
    _m(
        "return",
        {S.dispatched, S.accepted},
        S.registered,
        {"handler"},
        "current",
        ("reason", "suggested_department_id"),
        "退回",
    ),
    # 退单: the unit objects to the dispatch; the dispatching side decides (below).
    _m(
        "object",
        {S.dispatched, S.accepted},
        None,
        {"handler"},
        "current",
        ("reason",),
        "申请退单",
        public=False,
    ),
    # Accepting sends the case back to the first-receipt unit to be re-dispatched;
    # rejecting leaves it where it is (the state change is decided in ``service``).
    _m(
        "decide_objection",
        {S.dispatched, S.accepted, S.in_progress},
        None,
        {"clerk", "supervisor"},
        "origin",
        ("approve",),
        "审批退单",
        public=False,
    ),
    _m(
        "co_reply",
        {S.dispatched, S.accepted, S.in_progress, S.suspended},
        None,
        {"handler"},
        "co_handler",
        ("reply",),
        "协办回复",
        public=False,
    ),
    _m("start", {S.accepted, S.reopened}, S.in_progress, {"handler"}, "current", (), "开始办理"),
    _m(
        "transfer",
        {S.accepted, S.in_progress},
        S.dispatched,
        {"handler", "supervisor"},
        "current",
        ("reason", "department_id"),
        "转办",
    ),
    _m(
        "suspend",
        {S.accepted, S.in_progress},
        S.suspended,
        {"handler"},
        "current",
        ("reason",),
        "挂起待补正",
    ),
    _m("resume", {S.suspended}, RESUME, {"handler", "clerk"}, "current", (), "恢复办理"),
    _m(
        "resolve",
        {S.in_progress},
        S.resolved,
        {"handler"},
        "current",
        ("outcome", "resolution"),
        "办结",
    ),
    _m(
        "give_feedback",
        {S.resolved},
        S.feedback_given,
        {"handler", "clerk"},
        "origin",
        ("notification_text",),
        "一次性告知反馈",
    ),
    _m(
        "evaluate",
        {S.feedback_given},
        S.evaluated,
        {"clerk", "supervisor"},
        "scope",
        ("rating",),
        "录入评价",
    ),
    _m(
        "close",
        {S.feedback_given, S.evaluated},
        S.closed,
        {"clerk", "supervisor"},
        "origin",
        (),
        "归档",
    ),
    _m("reopen", {S.evaluated}, S.reopened, {"clerk", "supervisor"}, "origin", ("reason",), "重办"),
    _m(
        "classify",
        set(OPEN_STATES),
        None,
        {"clerk", "handler", "supervisor"},
        "current",
        (),
        "修改分类",
        public=False,
    ),
    _m(
        "request_extension",
        {S.dispatched, S.accepted, S.in_progress, S.suspended},
        None,
        {"handler"},
        "current",
        ("reason", "new_due_date"),
        "申请延期",
        public=False,
    ),
    _m(
        "decide_extension",
        set(OPEN_STATES),
        None,
        {"supervisor"},
        "scope",
        ("approve",),
        "审批延期",
        public=False,
    ),
    # Ending a case as unreasonable (不合理诉求) or invalid (无效诉求): the unit that has it
    # states the basis, a supervisor approves (the case is resolved with that outcome and is
    # left out of the assessment, docs/metrics.md) or rejects (it carries on). Guards and
    # the pending request in ``service``.
    _m(
        "request_end",
        {S.accepted, S.in_progress},
        None,
        {"handler"},
        "current",
        ("end_as", "reason"),
        "申请按不合理/无效诉求办结",
        public=False,
    ),
    _m(
        "decide_end",
        {S.accepted, S.in_progress},
        None,
        {"supervisor"},
        "scope",
        ("approve",),
        "审批不合理/无效诉求",
        public=False,  # an approval, which resolves the case, is public
    ),
)

MOVES_BY_ACTION: dict[str, Move] = {m.action: m for m in MOVES}
ACTIONS: tuple[str, ...] = tuple(m.action for m in MOVES)

# Relations are checked against the actor's unit; supervisors act across units in scope.
SCOPE_WIDE_ROLES = frozenset({"supervisor"})
