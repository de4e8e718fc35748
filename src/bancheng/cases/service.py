"""The rules of the case ledger. Services flush, never commit: the request owns the
transaction, and every change is written together with its timeline event."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bancheng.cases import repository as repo
from bancheng.cases.enums import (
    BAD_RATINGS,
    ENDED_OUTCOMES,
    OPEN_STATES,
    Channel,
    Difficulty,
    Nature,
    Outcome,
    Rating,
    State,
)
from bancheng.cases.files import FileStore
from bancheng.cases.lifecycle import MOVES, MOVES_BY_ACTION, RESUME, SCOPE_WIDE_ROLES, Move
from bancheng.cases.models import (
    Attachment,
    Case,
    CaseBlocker,
    CaseCoHandler,
    CaseDepartment,
    CaseEvent,
    CaseNumberCounter,
    DispatchObjection,
    IdempotencyKey,
)
from bancheng.cases.schemas import ActionIn, AvailableAction, CaseCreate, LocationIn
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.crypto import get_crypto
from bancheng.core.errors import Conflict, DomainError, Forbidden, Invalid, TooLarge
from bancheng.core.geo import to_wgs84
from bancheng.core.validators import (
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
)
from bancheng.org.models import Department, Hall, Matter, ServiceWindow
from bancheng.org.scope import Principal, clear_subtree_cache, department_name_map
from bancheng.sla import case_clock
from bancheng.sla import service as _sla_service  # noqa: F401  (registers the calendar listener)
from bancheng.sla.calendar import load_calendar
from bancheng.sla.models import DeadlineExtension

STAFF_CHANNELS = frozenset(Channel) - {Channel.mobile}


# --- numbering -----------------------------------------------------------------------


def allocate_number(session: Session, jurisdiction: str, year: int) -> tuple[int, str]:
    """Take the next number of the jurisdiction's year. The counter row is updated inside
    the creating transaction: concurrent creators queue on its row lock (PostgreSQL) or on
    the write lock (SQLite), and a rolled-back creation returns its number."""
    return allocate_number_block(session, jurisdiction, year, 1)[0]


def allocate_number_block(
    session: Session, jurisdiction: str, year: int, n: int
) -> list[tuple[int, str]]:
    """Take the next ``n`` numbers of the jurisdiction's year at once (a bulk import's
    batch): one counter UPDATE by ``n``, the counter row created when missing, under the
    same row lock as ``allocate_number``. Returns ``(seq, number)`` in order, consecutive."""
    if n <= 0:
        return []
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.jurisdiction == jurisdiction, CaseNumberCounter.year == year)
        .values(last_seq=CaseNumberCounter.last_seq + n)
        .returning(CaseNumberCounter.last_seq)
    )
    opts = {"synchronize_session": False}
    last = session.execute(bump, execution_options=opts).scalar()
    if last is None:
        dialect = session.get_bind().dialect.name
        ins_mod: Any = postgresql if dialect == "postgresql" else sqlite
        session.execute(
            ins_mod.insert(CaseNumberCounter)
            .values(jurisdiction=jurisdiction, year=year, last_seq=0)
            .on_conflict_do_nothing()
        )
        last = session.execute(bump, execution_options=opts).scalar()
    assert last is not None
    return [(seq, f"{jurisdiction}-{year}-{seq:06d}") for seq in range(last - n + 1, last + 1)]


# --- creation ------------------------------------------------------------------------


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def find_idempotent(session: Session, key: str, principal: Principal, fp: str) -> Case | None:
    row = session.get(IdempotencyKey, (key, str(principal.user_id)))
    if row is None:
        return None
    if row.fingerprint != fp:
        raise Conflict("idempotency.key_reused", "同一幂等键已用于不同的请求内容")
    return session.get(Case, row.case_id)


def _require_row(
    session: Session, model: Any, ident: int | None, code: str, label: str, field: str
) -> Any:
    if ident is None:
        return None
    row = session.get(model, ident)
    if row is None or (hasattr(row, "active") and not row.active):
        raise Invalid(code, f"{label}不存在或已停用", field=field)
    return row


def create_case(
    session: Session,
    settings: Settings,
    principal: Principal,
    data: CaseCreate,
    idempotency_key: str | None = None,
    allow_channels: frozenset[Channel] = STAFF_CHANNELS,
    *,
    location_source: str = "clerk",
    hotline_order_number: str | None = None,
    fixed_due_at: datetime | None = None,
) -> tuple[Case, bool]:
    """Register a case. Returns the case and whether it was newly created (``False`` when
    an ``Idempotency-Key`` replays an earlier creation). The citizen side passes a system
    principal (``user_id`` 0, role ``public``) and ``allow_channels={mobile}``."""
    fp = fingerprint(data.model_dump(mode="json"))
    claim: IdempotencyKey | None = None
    if idempotency_key:
        existing = find_idempotent(session, idempotency_key, principal, fp)
        if existing is not None:
            return existing, False
        claim = IdempotencyKey(
            key=idempotency_key,
            principal=str(principal.user_id),
            fingerprint=fp,
            case_id=None,
            created_at=clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(claim)
        except IntegrityError:
            # A concurrent request with the same key committed first: replay it.
            existing = find_idempotent(session, idempotency_key, principal, fp)
            if existing is None:
                raise
            return existing, False

    if data.channel not in allow_channels:
        raise Invalid("case.channel_not_allowed", "掌上反映渠道由群众在手机上提交", field="channel")
    if not data.title:
        raise Invalid("case.title_empty", "请填写标题", field="title")
    if not data.description:
        raise Invalid("case.description_empty", "请填写诉求内容", field="description")

    r = data.reporter
    crypto = get_crypto()
    phone = normalize_phone(r.phone)
    id_number = normalize_id_number(r.id_number) if r.id_number else None
    credit_code = normalize_credit_code(r.credit_code) if r.credit_code else None
    if r.type == "enterprise" and (not r.org_name or not credit_code):
        raise Invalid(
            "reporter.enterprise_incomplete",
            "企业反映人须填写企业名称和统一社会信用代码",
            field="reporter.credit_code",
        )

    matter = _require_row(
        session, Matter, data.matter_id, "case.matter_not_found", "事项", "matter_id"
    )
    stuck_dept_id = data.stuck_department_id or (matter.department_id if matter else None)
    _require_row(
        session,
        Department,
        stuck_dept_id,
        "case.stuck_department_not_found",
        "部门",
        "stuck_department_id",
    )
    hall = _require_row(session, Hall, data.hall_id, "case.hall_not_found", "大厅", "hall_id")
    window = _require_row(
        session, ServiceWindow, data.window_id, "case.window_not_found", "窗口", "window_id"
    )
    if window is not None and hall is not None and window.hall_id != hall.id:
        raise Invalid("case.window_not_in_hall", "窗口不属于所选大厅", field="window_id")
    if window is not None and hall is None:
        hall = session.get(Hall, window.hall_id)

    blockers = _blocker_list(data.blocker_types, data.blocker_type, "blocker_types")
    if (
        data.blocker_types
        and "blocker_type" in data.model_fields_set
        and data.blocker_type.value != blockers[0]
    ):
        raise Invalid(
            "case.blocker_type_not_first",
            "主要堵点类型须是所选堵点类型中的第一个",
            field="blocker_type",
        )

    now = clock.now()
    year = clock.to_local(now).year
    case = Case(
        jurisdiction=settings.jurisdiction_code,
        year=year,
        state=State.registered.value,
        channel=data.channel.value,
        kind=data.kind.value,
        difficulty=data.difficulty.value,
        blocker_type=blockers[0],
        title=data.title,
        description=data.description,
        reporter_type=r.type.value,
        reporter_name=r.name,
        reporter_phone_enc=crypto.encrypt(phone),
        reporter_phone_hash=crypto.lookup_hash(phone),
        reporter_phone_masked=mask_phone(phone) or "",
        reporter_id_enc=crypto.encrypt(id_number) if id_number else None,
        reporter_id_masked=mask_id_number(id_number),
        reporter_org_name=r.org_name if r.type == "enterprise" else None,
        reporter_credit_code=credit_code,
        matter_id=matter.id if matter else None,
        stuck_department_id=stuck_dept_id,
        hall_id=hall.id if hall else None,
        window_id=window.id if window else None,
        first_receipt_department_id=principal.department_id,
        first_receipt_user_id=principal.user_id or None,
        current_department_id=principal.department_id,
        registered_at=now,
        updated_at=now,
    )
    if data.location is not None:
        set_location(case, data.location, location_source)
    case.hotline_order_number = hotline_order_number
    case.fixed_due_at = fixed_due_at
    case_clock.start_clock(session, case, now)  # before the INSERT: one statement, not two
    # The number last: from the counter's UPDATE to the commit every other registration of
    # the jurisdiction waits on this row, so everything that can be read or computed
    # without the number (validation, encryption, the policy, the deadlines) is done.
    case.seq, case.number = allocate_number(session, settings.jurisdiction_code, year)
    session.add(case)
    session.flush()
    session.add(CaseDepartment(case_id=case.id, department_id=principal.department_id))
    for blocker in blockers[1:]:
        session.add(CaseBlocker(case_id=case.id, blocker_type=blocker))
    registered = add_event(
        session,
        case,
        "register",
        None,
        State.registered,
        principal,
        details={
            "channel": case.channel,
            "due_date": case.due_date.isoformat() if case.due_date else None,
        },
    )
    if claim is not None:
        claim.case_id = case.id
    session.flush()
    _notify(session, settings, case, registered)
    return case, True


def _blocker_list(types: list[Any] | None, main: Any, field: str) -> list[str]:
    """The case's blockers from a request: ``types`` when given (the main one first, then
    the further ones by code, repeats dropped), else the one ``main``."""
    if types is None:
        return [main.value]
    if not types:
        raise Invalid("case.blocker_types_empty", "请至少选择一个堵点类型", field=field)
    first = types[0].value
    return [first, *sorted({t.value for t in types} - {first})]


def _notify(session: Session, settings: Settings, case: Case, event: CaseEvent) -> None:
    from bancheng.notify.events import on_case_event

    on_case_event(session, settings, case, event)


# Timeline actions whose result a 12345 order's platform receives (integrations).
HOTLINE_PUSHED = frozenset(
    {
        "accept",
        "return",
        "request_extension",
        "decide_extension",
        "resolve",
        "resolve_on_spot",
        "decide_end",  # when approved: the case is resolved
        "give_feedback",
        "evaluate",
    }
)

LOCATION_SOURCES = ("device", "clerk", "hotline_12345", "open311", "import")


def set_location(case: Case, loc: LocationIn, source: str) -> None:
    """Store where the matter is: the coordinates as given, their datum, and a WGS-84 copy
    for area filters and distances. Latitude and longitude come together or not at all."""
    assert source in LOCATION_SOURCES
    has_lat, has_lng = loc.latitude is not None, loc.longitude is not None
    if has_lat != has_lng:
        raise Invalid("case.location_incomplete", "经度和纬度须同时填写", field="location.latitude")
    address = (loc.address or "").strip() or None
    if not address and not has_lat:
        return
    case.address = address
    case.location_source = source
    if loc.latitude is not None and loc.longitude is not None:
        case.latitude, case.longitude = loc.latitude, loc.longitude
        case.coord_datum = loc.datum
        case.wgs84_lat, case.wgs84_lng = to_wgs84(loc.latitude, loc.longitude, loc.datum)
    else:
        case.latitude = case.longitude = case.wgs84_lat = case.wgs84_lng = None
        case.coord_datum = None


def add_event(
    session: Session,
    case: Case,
    action: str,
    from_state: State | str | None,
    to_state: State | str | None,
    principal: Principal | None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    public: bool = True,
    actor_name: str | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=clock.now(),
        action=action,
        from_state=str(from_state) if from_state else None,
        to_state=str(to_state) if to_state else None,
        actor_id=(principal.user_id or None) if principal else None,
        actor_name=actor_name or (principal.display_name if principal else "系统"),
        actor_department_id=principal.department_id if principal else None,
        reason=reason,
        details=details or {},
        public=public,
    )
    session.add(event)
    pushed = action in HOTLINE_PUSHED and (action != "decide_end" or event.details.get("approved"))
    if case.hotline_order_number and pushed:
        # A 12345 order's result goes back to the platform, in this same transaction.
        from bancheng.integrations.hotline_results import queue_result

        queue_result(session, case, event)
    return event


# --- what the caller may do ----------------------------------------------------------


def _related(move: Move, case: Case, principal: Principal) -> bool:
    if move.relation == "scope" or principal.role in SCOPE_WIDE_ROLES:
        return True
    unit = principal.unit_department_ids
    if move.relation == "current":
        return case.current_department_id in unit
    if move.relation == "co_handler":
        return any(c.status == "pending" and c.department_id in unit for c in co_handlers_of(case))
    # origin: the unit that received the case first, or the unit that has it now
    return case.first_receipt_department_id in unit or case.current_department_id in unit


def _may(move: Move, case: Case, principal: Principal) -> bool:
    return (
        State(case.state) in move.sources
        and principal.role in move.roles
        and principal.can("case.act")
        and _related(move, case, principal)
    )


def co_handlers_of(case: Case) -> list[CaseCoHandler]:
    """The case's co-handling assignments, oldest first (loaded once per session)."""
    from sqlalchemy.orm import object_session

    session = object_session(case)
    if session is None or case.id is None:
        return []
    return list(
        session.scalars(
            select(CaseCoHandler).where(CaseCoHandler.case_id == case.id).order_by(CaseCoHandler.id)
        )
    )


def objections(session: Session, case_id: int) -> list[DispatchObjection]:
    return list(
        session.scalars(
            select(DispatchObjection)
            .where(DispatchObjection.case_id == case_id)
            .order_by(DispatchObjection.id)
        )
    )


def pending_objection(session: Session, case_id: int) -> DispatchObjection | None:
    return session.scalar(
        select(DispatchObjection).where(
            DispatchObjection.case_id == case_id, DispatchObjection.status == "pending"
        )
    )


def pending_extension(session: Session, case_id: int) -> DeadlineExtension | None:
    return session.scalar(
        select(DeadlineExtension).where(
            DeadlineExtension.case_id == case_id, DeadlineExtension.status == "pending"
        )
    )


def extensions(session: Session, case_id: int) -> list[DeadlineExtension]:
    return list(
        session.scalars(
            select(DeadlineExtension)
            .where(DeadlineExtension.case_id == case_id)
            .order_by(DeadlineExtension.id)
        )
    )


def available_actions(
    session: Session, case: Case, principal: Principal, settings: Settings
) -> list[AvailableAction]:
    out: list[AvailableAction] = []
    if case.merged_into_id is not None and State(case.state) in OPEN_STATES:
        return out  # a merged follower waits for its master (routing.merge)
    now = clock.now()
    pending = None
    for move in MOVES:
        if not _may(move, case, principal):
            continue
        if move.action in ("request_extension", "decide_extension"):
            pending = pending or pending_extension(session, case.id)
            if move.action == "request_extension" and (
                pending is not None or case.due_at is None or now >= case.due_at
            ):
                continue
            if move.action == "decide_extension" and pending is None:
                continue
        if move.action == "recall" and recall_refusal(case, settings, now) is not None:
            continue
        if move.action in ("object", "decide_objection"):
            objection = pending_objection(session, case.id)
            if move.action == "object" and objection is not None:
                continue
            if move.action == "decide_objection" and (
                objection is None or objection.department_id in principal.unit_department_ids
            ):
                continue
        if move.action == "request_end" and case.end_request is not None:
            continue
        if move.action == "decide_end" and case.end_request is None:
            continue
        warning = None
        if move.action == "transfer" and case.transfer_count >= settings.max_transfers:
            warning = "case.transfer_limit_reached"
        if move.action == "reopen" and case.rating not in {r.value for r in BAD_RATINGS}:
            continue
        required = list(move.required)
        if move.action == "close" and case.rating in {r.value for r in BAD_RATINGS}:
            if principal.role != "supervisor":
                continue
            required.append("reason")
        if move.action == "resolve" and any(c.status == "pending" for c in co_handlers_of(case)):
            required.append("co_handling_note")
        out.append(
            AvailableAction(
                action=move.action, label=move.label_zh, required=required, warning=warning
            )
        )
    return out


# --- moving the case -----------------------------------------------------------------


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


def _note_misroute(case: Case, action: str) -> None:
    """The first correction of an automatic dispatch by the unit it went to (or by its
    recall) marks the case misrouted: the correction does not count against the unit that
    receives the case next."""
    if (
        case.auto_dispatched_at is not None
        and case.auto_misroute is None
        and case.current_department_id == case.auto_department_id
    ):
        case.auto_misroute = action


def _need(value: Any, field: str, detail: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid(f"case.{field}_required", detail, field=field)
    return value


def _department(session: Session, dept_id: int, field: str) -> Department:
    dept = session.get(Department, dept_id)
    if dept is None or not dept.active:
        raise Invalid("case.department_not_found", "目标单位不存在或已停用", field=field)
    return dept


def _check_outcome(body: ActionIn) -> Outcome:
    outcome = _need(body.outcome, "outcome", "请选择办理结果")
    if Outcome(outcome) in ENDED_OUTCOMES:
        raise Invalid(
            "case.end_requires_approval",
            "按不合理或无效诉求办结须申请，经督查人员批准",
            field="outcome",
        )
    _need(body.resolution, "resolution", "请填写办理情况")
    if outcome == Outcome.cannot_by_policy:
        missing = [
            f
            for f in ("policy_explanation", "alternative", "alternative_owner")
            if not (getattr(body, f) or "").strip()
        ]
        if missing:
            raise Invalid(
                "case.no_veto_fields_required",
                "窗口无否决权：办不了的须说明政策依据、可行的替代办法及由谁负责",
                fields=missing,
            )
    return Outcome(outcome)


def perform(
    session: Session,
    settings: Settings,
    principal: Principal,
    case: Case,
    action: str,
    body: ActionIn,
) -> Case:
    move = MOVES_BY_ACTION.get(action)
    if move is None:
        raise Invalid("case.unknown_action", f"未知操作：{action}")
    if body.version != case.version:
        raise Conflict(
            "case.version_conflict", "案件已被他人修改，请刷新后重试", current_version=case.version
        )
    if principal.role not in move.roles or not principal.can("case.act"):
        raise Forbidden("case.action_forbidden", "您的角色不能执行此操作")
    if State(case.state) not in move.sources:
        raise Conflict(
            "case.illegal_transition",
            f"当前状态不能执行“{move.label_zh}”",
            state=case.state,
            action=action,
        )
    if not _related(move, case, principal):
        raise Forbidden("case.not_your_unit", "该案件不在您所在单位办理")
    if case.merged_into_id is not None and State(case.state) in OPEN_STATES:
        raise Conflict(
            "case.merged_follower", "该案件已并单，随主案件办理；如需单独办理请先撤销并单"
        )

    now = clock.now()
    before = State(case.state)
    target: State | None
    target = (
        State(case.suspended_from or State.in_progress)
        if move.target == RESUME
        else (State(move.target) if move.target else None)
    )
    details: dict[str, Any] = {}
    reason = (body.reason or "").strip() or None
    event_action = action
    public = move.public

    if action == "dispatch":
        dept = _department(
            session, _need(body.department_id, "department_id", "请选择承办单位"), "department_id"
        )
        co_ids = _co_departments(session, body.co_department_ids or [], dept.id)
        case.current_department_id = dept.id
        case.assignee_id = None
        case.suggested_department_id = None
        repo.involve(session, case.id, dept.id)
        details["department_id"] = dept.id
        details["department_name"] = dept.name
        if co_ids:
            details["co_handlers"] = _assign_co_handlers(
                session, settings, principal, case, co_ids, body.co_due_workdays, now
            )
    elif action == "recall":
        refusal = recall_refusal(case, settings, now)
        if refusal is not None:
            raise refusal
        _need(reason, "reason", "请填写撤回理由")
        details["from_department_id"] = case.current_department_id
        _note_misroute(case, "recall")
        _lapse_objection(session, case)
        _cancel_co_handlers(case)
        repo.uninvolve(
            session, case.id, case.current_department_id, keep=case.first_receipt_department_id
        )
        case.current_department_id = case.first_receipt_department_id
        case.assignee_id = None
    elif action in ("resolve_on_spot", "resolve"):
        outcome = _check_outcome(body)
        if action == "resolve":
            _close_co_handling(session, case, body, details)
            if reason is None and details.get("co_handling_note"):
                reason = details["co_handling_note"]
        case.outcome = outcome.value
        case.resolution = body.resolution
        if outcome == Outcome.cannot_by_policy:
            case.nature = Nature.cannot_by_policy.value
            case.policy_explanation = body.policy_explanation
            case.alternative = body.alternative
            case.alternative_owner = body.alternative_owner
        case.resolved_at = now
        if action == "resolve_on_spot":
            case.resolved_on_spot = True
            case.difficulty = Difficulty.immediate.value
        details["outcome"] = outcome.value
    elif action == "accept":
        case.assignee_id = principal.user_id
        if case.accepted_at is None:
            case.accepted_at = now
    elif action == "return":
        _need(reason, "reason", "请填写退回理由")
        dept = _department(
            session,
            _need(
                body.suggested_department_id, "suggested_department_id", "请指明应由哪个单位承办"
            ),
            "suggested_department_id",
        )
        if dept.id == case.current_department_id:
            raise Invalid(
                "case.return_to_self", "建议承办单位不能是本单位", field="suggested_department_id"
            )
        details["from_department_id"] = case.current_department_id
        _note_misroute(case, "return")
        _lapse_objection(session, case)
        _cancel_co_handlers(case)
        details["suggested_department_id"] = dept.id
        details["suggested_department_name"] = dept.name
        case.suggested_department_id = dept.id
        case.current_department_id = case.first_receipt_department_id
        case.assignee_id = None
        case.return_count += 1
    elif action == "transfer":
        _need(reason, "reason", "请填写转办理由")
        dept = _department(
            session, _need(body.department_id, "department_id", "请选择转办单位"), "department_id"
        )
        if dept.id == case.current_department_id:
            raise Invalid("case.transfer_to_self", "不能转办给本单位", field="department_id")
        if case.transfer_count >= settings.max_transfers:
            if not case.needs_supervision:
                case.needs_supervision = True
                case.supervision_reason = "transfer_limit"
                case.updated_at = now
                add_event(
                    session,
                    case,
                    "flag_supervision",
                    before,
                    before,
                    principal,
                    reason=reason,
                    details={
                        "cause": "transfer_limit",
                        "transfer_count": case.transfer_count,
                        "requested_department_id": dept.id,
                    },
                )
                session.flush()
            err = Conflict(
                "case.transfer_limit_reached",
                f"转办次数已达上限（{settings.max_transfers}次），已提交督查协调",
                max_transfers=settings.max_transfers,
            )
            err.commit_changes = True
            raise err
        details["from_department_id"] = case.current_department_id
        details["department_id"] = dept.id
        details["department_name"] = dept.name
        _note_misroute(case, "transfer")
        _lapse_objection(session, case)
        case.transfer_count += 1
        case.current_department_id = dept.id
        case.assignee_id = None
        repo.involve(session, case.id, dept.id)
    elif action == "suspend":
        _need(reason, "reason", "请填写挂起原因（需补正的材料）")
        case.suspended_from = case.state
        case_clock.suspend(case, now)
    elif action == "resume":
        case.suspended_from = None
        paused = case_clock.resume(session, case, now)
        details["paused_seconds"] = round(paused)
        details["due_date"] = case.due_date.isoformat() if case.due_date else None
    elif action == "give_feedback":
        text = _need(body.notification_text, "notification_text", "请填写一次性告知内容")
        case.notification_text = text
        case.notification_materials = body.notification_materials or []
        details["materials"] = case.notification_materials
    elif action == "evaluate":
        rating = _need(body.rating, "rating", "请选择评价等级")
        from bancheng.feedback import ratings

        ratings.check_window(session, settings, case)
        window_set = ratings.active_set(session, "offline")
        window_scores = ratings.check_rating(
            window_set,
            Rating(rating).value,
            body.scores,
            body.bad_reasons,
            require_scores=False,
            require_reasons=False,
        )
        case.rating = Rating(rating).value
        details["rating"] = case.rating
    elif action == "close":
        if case.rating in {r.value for r in BAD_RATINGS}:
            if principal.role != "supervisor":
                raise Conflict(
                    "case.bad_rating_requires_reopen", "评价不满意的案件须重办，不能直接归档"
                )
            _need(reason, "reason", "请填写不满意件直接归档的理由")
        case.closed_at = now
    elif action == "reopen":
        if case.rating not in {r.value for r in BAD_RATINGS}:
            raise Conflict("case.reopen_requires_dissatisfaction", "只有评价不满意的案件才能重办")
        _need(reason, "reason", "请填写重办原因")
        details["previous_rating"] = case.rating
        details["previous_outcome"] = case.outcome
        from bancheng.routing.merge import detach_on_reopen

        detach_on_reopen(session, case, details)
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
        case.state = State.reopened.value
        case_clock.start_clock(session, case, now)
        details["due_date"] = case.due_date.isoformat() if case.due_date else None
    elif action == "classify":
        changes: dict[str, Any] = {}
        for field in ("kind", "difficulty", "nature"):
            value = getattr(body, field)
            if value is not None and value.value != getattr(case, field):
                changes[field] = [getattr(case, field), value.value]
                setattr(case, field, value.value)
        if body.blocker_types is not None or body.blocker_type is not None:
            old = repo.blocker_types(session, [case])[case.id]
            if body.blocker_types is not None:
                new = _blocker_list(body.blocker_types, None, "blocker_types")
                if body.blocker_type is not None and body.blocker_type.value != new[0]:
                    raise Invalid(
                        "case.blocker_type_not_first",
                        "主要堵点类型须是所选堵点类型中的第一个",
                        field="blocker_type",
                    )
            else:
                # A new main blocker in place of the old one; the further ones stay.
                main = body.blocker_type.value  # type: ignore[union-attr]
                new = [main, *sorted(set(old[1:]) - {main})]
            if new != old:
                if new[0] != old[0]:
                    changes["blocker_type"] = [old[0], new[0]]
                if new[1:] != old[1:]:
                    changes["blocker_types"] = [old, new]
                repo.set_blocker_types(session, case, new)
        if body.matter_id is not None and body.matter_id != case.matter_id:
            _require_row(
                session, Matter, body.matter_id, "case.matter_not_found", "事项", "matter_id"
            )
            changes["matter_id"] = [case.matter_id, body.matter_id]
            case.matter_id = body.matter_id
        if not changes:
            raise Invalid("case.nothing_to_change", "没有需要修改的分类")
        details["changes"] = changes
        if "kind" in changes or "difficulty" in changes:
            old_due = case.due_date
            case_clock.recompute(session, case)
            if case.due_date != old_due:
                details["due_date"] = [
                    old_due.isoformat() if old_due else None,
                    case.due_date.isoformat() if case.due_date else None,
                ]
    elif action == "request_end":
        if case.end_request is not None:
            raise Conflict("case.end_request_pending", "已有待审批的不合理/无效诉求申请")
        end_as = _need(body.end_as, "end_as", "请选择不合理诉求或无效诉求")
        _need(reason, "reason", "请写明认定的依据")
        case.end_request = end_as
        case.end_request_basis = reason
        case.end_requested_by_id = principal.user_id or None
        case.end_requested_at = now
        details["end_as"] = end_as
    elif action == "decide_end":
        approve = _need(body.approve, "approve", "请选择批准或不批准")
        if case.end_request is None:
            raise Conflict("case.no_end_request", "没有待审批的不合理/无效诉求申请")
        if not approve:
            _need(reason, "reason", "请填写不批准的理由")
        details.update(
            end_as=case.end_request, approved=bool(approve), basis=case.end_request_basis
        )
        if approve:
            # Resolved with that outcome: the reporter is told as for any resolution
            # (一次性告知), and the case is left out of the assessment (docs/metrics.md).
            target = State.resolved
            case.outcome = case.end_request
            case.resolution = case.end_request_basis
            case.resolved_at = now
            public = True
            # Resolved without the lead's resolve: replies still awaited and a pending 退单
            # are moot (recorded on the event).
            outstanding = [c for c in co_handlers_of(case) if c.status == "pending"]
            if outstanding:
                names = department_names(session, {c.department_id for c in outstanding})
                details["co_replies_outstanding"] = [
                    names.get(c.department_id, "") for c in outstanding
                ]
                for c in outstanding:
                    c.status = "lapsed"
            _lapse_objection(session, case)
        _clear_end_request(case)
    elif action == "request_extension":
        _request_extension(session, principal, case, body, reason, now, details)
    elif action == "decide_extension":
        _decide_extension(session, principal, case, body, reason, now, details)
    elif action == "object":
        _object(session, principal, case, body, reason, now, details)
    elif action == "decide_objection":
        if _decide_objection(session, principal, case, body, reason, now, details):
            target = State.registered
            event_action = "objection_accepted"
        else:
            event_action = "objection_rejected"
    elif action == "co_reply":
        _co_reply(session, principal, case, body, now, details)

    if (
        target is not None
        and target not in MOVES_BY_ACTION["request_end"].sources
        and case.end_request is not None
    ):
        # The case moved on (resolved, transferred, returned, suspended): the request lapses.
        details["end_request_lapsed"] = case.end_request
        _clear_end_request(case)
    if target is not None:
        case.state = target.value
        if target == State.resolved and case.needs_supervision:
            # Resolved: the coordination it was flagged for is over (the reason stays).
            case.needs_supervision = False
            details["supervision_cleared"] = True
    case.updated_at = now
    moved = add_event(
        session,
        case,
        event_action,
        before,
        target or before,
        principal,
        reason=reason,
        details=details,
        public=public,
    )
    session.flush()
    if action == "evaluate":  # a rating taken at the window counts like one from the phone
        from bancheng.feedback.service import record_window_rating

        record_window_rating(session, settings, case, window_set, *window_scores)
    _notify(session, settings, case, moved)
    if action in ("give_feedback", "close"):
        from bancheng.routing.merge import on_master_move

        on_master_move(session, settings, principal, case, action)
    return case


def _clear_end_request(case: Case) -> None:
    case.end_request = case.end_request_basis = None
    case.end_requested_by_id = None
    case.end_requested_at = None


def _request_extension(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    reason: str | None,
    now: Any,
    details: dict[str, Any],
) -> None:
    _need(reason, "reason", "请填写延期理由")
    new_date = _need(body.new_due_date, "new_due_date", "请选择延期后的办结日期")
    if case.due_date is None or case.due_at is None:
        raise Conflict("sla.no_deadline", "该案件没有办理时限")
    if now >= case.due_at:
        raise Conflict("sla.extension_after_deadline", "已超过办理时限，不能再申请延期")
    if pending_extension(session, case.id) is not None:
        raise Conflict("sla.extension_pending", "已有待审批的延期申请")
    if new_date <= case.due_date:
        raise Invalid(
            "sla.extension_not_later", "延期后的日期须晚于当前办结期限", field="new_due_date"
        )
    cal = load_calendar(session)
    count = cal.workdays_between(case.due_date, new_date)
    extra = count.workdays
    if extra < 1:
        raise Invalid("sla.extension_not_later", "延期须至少增加一个工作日", field="new_due_date")
    ext = DeadlineExtension(
        case_id=case.id,
        requested_by_id=principal.user_id,
        requested_at=now,
        reason=reason or "",
        old_due_date=case.due_date,
        new_due_date=new_date,
        extra_workdays=extra,
        deadline_provisional=count.provisional,
        status="pending",
    )
    session.add(ext)
    session.flush()
    details.update(extension_id=ext.id, new_due_date=new_date.isoformat(), extra_workdays=extra)


def _decide_extension(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    reason: str | None,
    now: Any,
    details: dict[str, Any],
) -> None:
    approve = _need(body.approve, "approve", "请选择批准或不批准")
    ext = pending_extension(session, case.id)
    if ext is None:
        raise Conflict("sla.no_pending_extension", "没有待审批的延期申请")
    if approve and case.due_at is not None and now >= case.due_at:
        raise Conflict("sla.extension_expired", "已超过原办理时限，延期申请不能再批准")
    ext.status = "approved" if approve else "refused"
    ext.decided_by_id = principal.user_id
    ext.decided_at = now
    ext.decision_note = reason
    if approve:
        case.extension_workdays += ext.extra_workdays
        case_clock.recompute(session, case)
    details.update(
        extension_id=ext.id,
        approved=bool(approve),
        due_date=case.due_date.isoformat() if case.due_date else None,
    )


# --- co-handling (协办) and objections to a dispatch (退单) ---------------------------


def _co_departments(session: Session, ids: list[int], lead_id: int) -> list[int]:
    if len(set(ids)) != len(ids):
        raise Invalid(
            "case.co_handler_duplicate", "协办单位不能重复选择", field="co_department_ids"
        )
    if lead_id in ids:
        raise Invalid(
            "case.co_handler_is_lead", "主办单位不能同时作为协办单位", field="co_department_ids"
        )
    for ident in ids:
        _department(session, ident, "co_department_ids")
    return ids


def _co_deadline(session: Session, start: datetime, workdays: int) -> tuple[Any, bool]:
    deadline = load_calendar(session).add_workdays(start, workdays)
    return deadline, deadline.provisional


def _assign_co_handlers(
    session: Session,
    settings: Settings,
    principal: Principal,
    case: Case,
    ids: list[int],
    workdays: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Name the co-handling units of a dispatch, each with its reply deadline. Earlier
    assignments still awaiting a reply end: this dispatch replaces them."""
    _cancel_co_handlers(case)
    days = workdays or settings.co_handling_reply_workdays
    names = department_names(session, set(ids))
    out = []
    for ident in ids:
        deadline, provisional = _co_deadline(session, now, days)
        session.add(
            CaseCoHandler(
                case_id=case.id,
                department_id=ident,
                status="pending",
                assigned_at=now,
                assigned_by_id=principal.user_id or None,
                workdays=days,
                due_date=deadline.date,
                due_at=deadline.due_at,
                deadline_provisional=provisional,
            )
        )
        repo.involve(session, case.id, ident)
        out.append(
            {
                "department_id": ident,
                "department_name": names.get(ident, ""),
                "due_date": deadline.date.isoformat(),
            }
        )
    session.flush()
    return out


def _close_co_handling(
    session: Session, case: Case, body: ActionIn, details: dict[str, Any]
) -> None:
    """The lead resolves: replies still outstanding need the lead's reason, and lapse."""
    outstanding = [c for c in co_handlers_of(case) if c.status == "pending"]
    if not outstanding:
        return
    names = department_names(session, {c.department_id for c in outstanding})
    note = (body.co_handling_note or "").strip()
    if not note:
        raise Conflict(
            "case.co_replies_outstanding",
            "协办单位尚未全部回复："
            + "、".join(names.get(c.department_id, "") for c in outstanding)
            + "；请等待回复，或说明不等待回复即办结的理由",
            field="co_handling_note",
            departments=[c.department_id for c in outstanding],
        )
    for c in outstanding:
        c.status = "lapsed"
    details["co_handling_note"] = note
    details["co_replies_outstanding"] = [names.get(c.department_id, "") for c in outstanding]


def _co_reply(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    now: datetime,
    details: dict[str, Any],
) -> None:
    text = _need(body.reply, "reply", "请填写协办意见")
    mine = [
        c
        for c in co_handlers_of(case)
        if c.status == "pending" and c.department_id in principal.unit_department_ids
    ]
    if body.co_handler_id is not None:
        mine = [c for c in mine if c.id == body.co_handler_id]
        if not mine:
            raise Invalid(
                "case.co_handler_not_found", "没有待本单位回复的该项协办", field="co_handler_id"
            )
    elif len(mine) > 1:
        raise Invalid(
            "case.co_handler_id_required", "本单位有多项待回复的协办，请选择", field="co_handler_id"
        )
    row = mine[0]
    row.status = "replied"
    row.reply = text.strip()
    row.replied_at = now
    row.replied_by_id = principal.user_id or None
    row.replied_by_name = principal.display_name
    details.update(
        co_handler_id=row.id,
        department_id=row.department_id,
        department_name=department_names(session, {row.department_id}).get(row.department_id, ""),
        late=now >= row.due_at,
        reply=row.reply,
    )


def _object(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    reason: str | None,
    now: datetime,
    details: dict[str, Any],
) -> None:
    _need(reason, "reason", "请填写退单理由")
    if pending_objection(session, case.id) is not None:
        raise Conflict("case.objection_pending", "已有待审批的退单申请")
    suggested = None
    if body.suggested_department_id is not None:
        suggested = _department(session, body.suggested_department_id, "suggested_department_id")
        if suggested.id == case.current_department_id:
            raise Invalid(
                "case.return_to_self", "建议承办单位不能是本单位", field="suggested_department_id"
            )
    row = DispatchObjection(
        case_id=case.id,
        department_id=case.current_department_id,
        reason=reason or "",
        suggested_department_id=suggested.id if suggested else None,
        status="pending",
        raised_at=now,
        raised_by_id=principal.user_id or None,
        raised_by_name=principal.display_name,
    )
    session.add(row)
    session.flush()
    details.update(objection_id=row.id, department_id=row.department_id)
    if suggested is not None:
        details.update(
            suggested_department_id=suggested.id, suggested_department_name=suggested.name
        )


def _decide_objection(
    session: Session,
    principal: Principal,
    case: Case,
    body: ActionIn,
    reason: str | None,
    now: datetime,
    details: dict[str, Any],
) -> bool:
    """Accept (the case goes back to the first-receipt unit to be re-dispatched) or reject
    (it stays with the unit). Returns whether it was accepted."""
    approve = _need(body.approve, "approve", "请选择同意或不同意退单")
    row = pending_objection(session, case.id)
    if row is None:
        raise Conflict("case.no_pending_objection", "没有待审批的退单申请")
    if row.department_id in principal.unit_department_ids:
        raise Forbidden("case.objection_own_unit", "不能审批本单位提出的退单申请")
    if not approve and not reason:
        raise Invalid("case.reason_required", "不同意退单须说明理由", field="reason")
    row.status = "accepted" if approve else "rejected"
    row.decided_at = now
    row.decided_by_id = principal.user_id or None
    row.decided_by_name = principal.display_name
    row.decision_note = reason
    details.update(objection_id=row.id, approved=bool(approve), department_id=row.department_id)
    if approve:
        details["from_department_id"] = case.current_department_id
        _note_misroute(case, "return")
        _cancel_co_handlers(case)
        case.suggested_department_id = row.suggested_department_id
        case.current_department_id = case.first_receipt_department_id
        case.assignee_id = None
        case.return_count += 1
    return bool(approve)


def _cancel_co_handlers(case: Case) -> None:
    """The case goes back to be dispatched anew (or is): replies still awaited end."""
    for c in co_handlers_of(case):
        if c.status == "pending":
            c.status = "cancelled"


def _lapse_objection(session: Session, case: Case) -> None:
    """The case leaves the objecting unit by another move: its objection is moot."""
    row = pending_objection(session, case.id)
    if row is not None:
        row.status = "lapsed"


def reveal_reporter(case: Case) -> dict[str, str | None]:
    crypto = get_crypto()
    return {
        "phone": crypto.decrypt(case.reporter_phone_enc),
        "id_number": crypto.decrypt(case.reporter_id_enc) if case.reporter_id_enc else None,
    }


def phone_lookup_hash(raw_phone: str) -> str:
    return get_crypto().lookup_hash(normalize_phone(raw_phone))


def department_names(session: Session, ids: set[int]) -> dict[int, str]:
    names = department_name_map(session)
    if any(i not in names for i in ids if i is not None):
        clear_subtree_cache()  # a unit created by another worker: reload
        names = department_name_map(session)
    return {i: names[i] for i in ids if i in names}


def add_attachment(
    session: Session,
    settings: Settings,
    principal: Principal | None,
    case: Case,
    filename: str,
    data: bytes,
    *,
    images_only: bool = False,
) -> Attachment:
    """Check and store one file for a case. The count limit is checked under the case's
    row lock (taken here, whoever uploads: staff or the public), so concurrent uploads
    cannot exceed it; the content is checked before anything is written to disk."""
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    if case.state == State.closed.value:
        raise Conflict("attachment.case_closed", "已归档的案件不能再添加附件")
    if repo.attachment_count(session, case.id) >= settings.attachment_max_count:
        raise Invalid("attachment.too_many", f"每个案件最多{settings.attachment_max_count}个附件")
    if len(data) > settings.attachment_max_bytes:
        raise TooLarge(
            "attachment.too_large",
            f"文件超过{settings.attachment_max_bytes // (1024 * 1024)}MB上限",
        )
    stored = FileStore(settings.attachments_dir).put(
        data, settings.attachment_max_bytes, images_only=images_only
    )
    att = Attachment(
        case_id=case.id,
        sha256=stored.sha256,
        media_type=stored.media_type,
        size=stored.size,
        original_name=(filename or "upload")[-255:],
        width=stored.width,
        height=stored.height,
        uploaded_by_id=(principal.user_id or None) if principal else None,
        created_at=clock.now(),
    )
    session.add(att)
    case.updated_at = clock.now()
    session.flush()
    add_event(
        session,
        case,
        "attach",
        case.state,
        case.state,
        principal,
        details={"attachment_id": att.id, "media_type": att.media_type, "name": att.original_name},
    )
    return att
