"""The case lifecycle as data: one table of allowed moves, and the one place a case's
state is written (``transition``).

A move names the states it starts from, the state it leads to (``None``: no state change;
``RESUME``: back to the state the case was suspended from), the roles that may make it,
who among those roles may make it on a given case (``relation``), and the fields it needs
(``needs``: each with the message when it is missing; some only when another field has a
given value, e.g. the no-veto fields when the outcome is ``cannot_by_policy``).

Each move's guard (may it be made on this case now?) and effect (what it changes) are one
small function each in ``cases/moves.py`` (``RULES``); ``cases/service.py`` ``perform``
applies a move: table checks, the guard, the needed fields, the effect, the state change,
the event. ``available_actions`` lists the moves whose table checks and guard pass. The UI
asks ``GET /cases/{id}/actions``; it never re-implements this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bancheng.audit.actions import add_labels
from bancheng.cases.enums import OPEN_STATES, Outcome, State
from bancheng.core.errors import Conflict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bancheng.cases.models import Case
    from bancheng.cases.schemas import ActionIn
    from bancheng.core.config import Settings
    from bancheng.core.errors import DomainError
    from bancheng.org.scope import Principal

RESUME = "__resume__"
T = TypeVar("T")

# relation: who may act, beyond having the role and the case in their data scope
#   "scope"   — any case in the actor's data scope
#   "current" — the case is currently with the actor's unit (or a unit below it)
#   "origin"  — the actor's unit received the case first, or the case is with the actor's unit
#   "co_handler" — the actor's unit (or a unit below it) is a co-handler awaiting its reply


@dataclass(frozen=True)
class Need:
    """A field a move needs. Missing (``None`` or blank): ``Invalid("case.<field>_required",
    message, field=<field>)``, or, when ``code`` is set, one ``Invalid(code, message,
    fields=[...])`` naming every missing field with that code. ``when``: needed only when
    the request's field ``when[0]`` equals ``when[1]``. ``by_effect``: listed for the form,
    checked by the move's effect (whose error says more than "missing")."""

    field: str
    message: str
    when: tuple[str, Any] | None = None
    code: str | None = None
    by_effect: bool = False


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[State]
    target: State | str | None
    roles: frozenset[str]
    relation: str
    needs: tuple[Need, ...] = ()
    label_zh: str = ""
    public: bool = True

    @property
    def required(self) -> tuple[str, ...]:
        """The fields needed whatever else the request says."""
        return tuple(n.field for n in self.needs if n.when is None)

    @property
    def required_when(self) -> tuple[Need, ...]:
        """The fields needed only when another field has a given value."""
        return tuple(n for n in self.needs if n.when is not None)


def _m(
    action: str,
    sources: set[State],
    target: State | str | None,
    roles: set[str],
    relation: str,
    needs: tuple[Need, ...] = (),
    label_zh: str = "",
    public: bool = True,
) -> Move:
    return Move(
        action, frozenset(sources), target, frozenset(roles), relation, needs, label_zh, public
    )


@dataclass
class MoveContext:
    """One move on one case: what its guard reads, and what its effect changes besides
    the case: the event's target state, action, public flag, reason and details, and what
    runs once the event is flushed (``recorded``) and after the notices (``settled``)."""

    session: Session
    settings: Settings
    principal: Principal
    case: Case
    now: datetime
    body: ActionIn
    target: State | None = None
    event_action: str = ""
    public: bool = True
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    recorded: list[Callable[[], object]] = field(default_factory=list)
    settled: list[Callable[[], object]] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, load: Callable[[], Any]) -> Any:
        """A lookup the guards of several moves share (a pending request), made once."""
        if key not in self._memo:
            self._memo[key] = load()
        return self._memo[key]


def no_guard(ctx: MoveContext) -> DomainError | None:
    """The table's checks (state, role, relation) are all the move needs."""
    return None


def no_needs(ctx: MoveContext) -> tuple[Need, ...]:
    return ()


def no_warning(ctx: MoveContext) -> str | None:
    return None


@dataclass(frozen=True)
class Rule:
    """A move's guard and effect (``cases/moves.py`` ``RULES``): ``guard`` says why the move
    cannot be made now (or ``None``); ``effect`` makes it; ``needs`` adds fields this case
    needs beyond the table's; ``warning`` is a code the console shows beside the action."""

    effect: Callable[[MoveContext], None]
    guard: Callable[[MoveContext], DomainError | None] = no_guard
    needs: Callable[[MoveContext], tuple[Need, ...]] = no_needs
    warning: Callable[[MoveContext], str | None] = no_warning


def given(value: T | None) -> T:
    """A field the move needs, which ``check_needs`` has found in the request."""
    assert value is not None
    return value


def transition(case: Case, target: State, now: datetime) -> State:
    """Put the case in ``target``: the only write of ``case.state`` after registration.
    Every lifecycle move (``perform``) and every state change by rule (the rating window,
    a 12345 order withdrawn or sent again, a merged follower following its master) goes
    through here. Returns the state the case was in."""
    before = State(case.state)
    case.state = target.value
    case.updated_at = now
    return before


def check_version(case: Case, version: int) -> None:
    """Refuse a change made on a stale copy: ``version`` must be the case's current one."""
    if version != case.version:
        raise Conflict(
            "case.version_conflict", "案件已被他人修改，请刷新后重试", current_version=case.version
        )


def _reason(message: str, when: tuple[str, Any] | None = None) -> Need:
    return Need("reason", message, when)


_NO_VETO = "窗口无否决权：办不了的须说明政策依据、可行的替代办法及由谁负责"
_OUTCOME = (
    Need("outcome", "请选择办理结果"),
    Need("resolution", "请填写办理情况"),
    *(
        Need(
            f, _NO_VETO, ("outcome", Outcome.cannot_by_policy.value), "case.no_veto_fields_required"
        )
        for f in ("policy_explanation", "alternative", "alternative_owner")
    ),
)

S = State
MOVES: tuple[Move, ...] = (
    _m(
        "dispatch",
        {S.registered, S.reopened},
        S.dispatched,
        {"clerk", "supervisor"},
        "origin",
        (Need("department_id", "请选择承办单位"),),
        "派单",
    ),
    _m(
        "resolve_on_spot",
        {S.registered},
        S.resolved,
        {"clerk"},
        "origin",
        _OUTCOME,
        "现场办结",
    ),
    _m("accept", {S.dispatched}, S.accepted, {"handler"}, "current", (), "签收"),
    # Only an automatic dispatch, only while it is still with the unit the model chose, and
    # only within ``routing_recall_minutes`` (the guard in ``moves``).
    _m(
        "recall",
        {S.dispatched, S.accepted},
        S.registered,
        {"clerk", "supervisor"},
        "origin",
        (_reason("请填写撤回理由"),),
        "撤回自动派单",
    ),
    _m(
        "return",
        {S.dispatched, S.accepted},
        S.registered,
        {"handler"},
        "current",
        (_reason("请填写退回理由"), Need("suggested_department_id", "请指明应由哪个单位承办")),
        "退回",
    ),
    # 退单: the unit objects to the dispatch; the dispatching side decides (below).
    _m(
        "object",
        {S.dispatched, S.accepted},
        None,
        {"handler"},
        "current",
        (_reason("请填写退单理由"),),
        "申请退单",
        public=False,
    ),
    # Accepting sends the case back to the first-receipt unit to be re-dispatched;
    # rejecting, with a reason, leaves it where it is (the state change in ``moves``).
    _m(
        "decide_objection",
        {S.dispatched, S.accepted, S.in_progress},
        None,
        {"clerk", "supervisor"},
        "origin",
        (
            Need("approve", "请选择同意或不同意退单"),
            _reason("不同意退单须说明理由", ("approve", False)),
        ),
        "审批退单",
        public=False,
    ),
    _m(
        "co_reply",
        {S.dispatched, S.accepted, S.in_progress, S.suspended},
        None,
        {"handler"},
        "co_handler",
        (Need("reply", "请填写协办意见"),),
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
        (_reason("请填写转办理由"), Need("department_id", "请选择转办单位")),
        "转办",
    ),
    _m(
        "suspend",
        {S.accepted, S.in_progress},
        S.suspended,
        {"handler"},
        "current",
        (_reason("请填写挂起原因（需补正的材料）"),),
        "挂起待补正",
    ),
    _m("resume", {S.suspended}, RESUME, {"handler", "clerk"}, "current", (), "恢复办理"),
    _m(
        "resolve",
        {S.in_progress},
        S.resolved,
        {"handler"},
        "current",
        _OUTCOME,
        "办结",
    ),
    _m(
        "give_feedback",
        {S.resolved},
        S.feedback_given,
        {"handler", "clerk"},
        "origin",
        (Need("notification_text", "请填写一次性告知内容"),),
        "一次性告知反馈",
    ),
    _m(
        "evaluate",
        {S.feedback_given},
        S.evaluated,
        {"clerk", "supervisor"},
        "scope",
        (Need("rating", "请选择评价等级"),),
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
    _m(
        "reopen",
        {S.evaluated},
        S.reopened,
        {"clerk", "supervisor"},
        "origin",
        (_reason("请填写重办原因"),),
        "重办",
    ),
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
        (_reason("请填写延期理由"), Need("new_due_date", "请选择延期后的办结日期")),
        "申请延期",
        public=False,
    ),
    _m(
        "decide_extension",
        set(OPEN_STATES),
        None,
        {"supervisor"},
        "scope",
        (Need("approve", "请选择批准或不批准"),),
        "审批延期",
        public=False,
    ),
    # Ending a case as unreasonable (不合理诉求) or invalid (无效诉求): the unit that has it
    # states the basis, a supervisor approves (the case is resolved with that outcome and is
    # left out of the assessment, docs/metrics.md) or rejects (it carries on). Guards and
    # the pending request in ``moves``.
    _m(
        "request_end",
        {S.accepted, S.in_progress},
        None,
        {"handler"},
        "current",
        (Need("end_as", "请选择不合理诉求或无效诉求"), _reason("请写明认定的依据")),
        "申请按不合理/无效诉求办结",
        public=False,
    ),
    _m(
        "decide_end",
        {S.accepted, S.in_progress},
        None,
        {"supervisor"},
        "scope",
        (Need("approve", "请选择批准或不批准"), _reason("请填写不批准的理由", ("approve", False))),
        "审批不合理/无效诉求",
        public=False,  # an approval, which resolves the case, is public
    ),
)

MOVES_BY_ACTION: dict[str, Move] = {m.action: m for m in MOVES}
ACTIONS: tuple[str, ...] = tuple(m.action for m in MOVES)

# Relations are checked against the actor's unit; supervisors act across units in scope.
SCOPE_WIDE_ROLES = frozenset({"supervisor"})


def install_hooks() -> None:
    """The operation log shows a case move's code (``case.<action>``) by its label."""
    add_labels({f"case.{m.action}": f"案件{m.label_zh or m.action}" for m in MOVES})
