"""The rules of the case ledger. Services flush, never commit: the request owns the
transaction, and every change is written together with its timeline event."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.cases import repository as repo
from bancheng.cases.enums import (
    Channel,
    State,
)
from bancheng.cases.files import FileStore
from bancheng.cases.hooks import hooks
from bancheng.cases.models import (
    Attachment,
    Case,
    CaseBlocker,
    CaseDepartment,
    CaseEvent,
    IdempotencyKey,
)
from bancheng.cases.numbering import allocate_number, number_later, when_numbered
from bancheng.cases.schemas import ActionIn, CaseCreate, LocationIn
from bancheng.core import cache, clock
from bancheng.core.config import Settings
from bancheng.core.crypto import get_crypto
from bancheng.core.db import insert_now
from bancheng.core.errors import Conflict, Invalid, TooLarge
from bancheng.core.geo import to_wgs84
from bancheng.core.validators import (
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
)
from bancheng.org import repository as org_repository
from bancheng.org.models import Department, Hall, Matter, ServiceWindow
from bancheng.org.scope import Principal, clear_subtree_cache, department_name_map

STAFF_CHANNELS = frozenset(Channel) - {Channel.mobile}


# --- creation ------------------------------------------------------------------------


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def find_idempotent(session: Session, key: str, principal: Principal, fp: str) -> Case | None:
    row = repo.idempotency_claim(session, key, principal.user_id)
    if row is None:
        return None
    if row.fingerprint != fp:
        raise Conflict("idempotency.key_reused", "同一幂等键已用于不同的请求内容")
    return repo.case_by_id(session, row.case_id)


def require_row(
    session: Session, model: Any, ident: int | None, code: str, label: str, field: str
) -> Any:
    if ident is None:
        return None
    row = repo.row_by_id(session, model, ident)
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
    number_late: bool = False,
) -> tuple[Case, bool]:
    """Register a case. Returns the case and whether it was newly created (``False`` when
    an ``Idempotency-Key`` replays an earlier creation). The citizen side passes a system
    principal (``user_id`` 0, role ``public``) and ``allow_channels={mobile}``.

    ``number_late``: the case is written under a provisional number and numbered by
    ``cases.numbering.number_pending`` (which the caller runs once everything else of its
    transaction is written), or at the latest at the commit; its messages wait for the
    number. The intake endpoints do this: the counter row's lock is then held only from
    that moment to the commit."""
    fp = fingerprint(data.model_dump(mode="json"))
    cache.check(session)  # now, not with the reporter's SMS after the case number
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

    matter = require_row(
        session, Matter, data.matter_id, "case.matter_not_found", "事项", "matter_id"
    )
    stuck_dept_id = data.stuck_department_id or (matter.department_id if matter else None)
    require_row(
        session,
        Department,
        stuck_dept_id,
        "case.stuck_department_not_found",
        "部门",
        "stuck_department_id",
    )
    hall = require_row(session, Hall, data.hall_id, "case.hall_not_found", "大厅", "hall_id")
    window = require_row(
        session, ServiceWindow, data.window_id, "case.window_not_found", "窗口", "window_id"
    )
    if window is not None and hall is not None and window.hall_id != hall.id:
        raise Invalid("case.window_not_in_hall", "窗口不属于所选大厅", field="window_id")
    if window is not None and hall is None:
        hall = repo.row_by_id(session, Hall, window.hall_id)

    blockers = blocker_list(data.blocker_types, data.blocker_type, "blocker_types")
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
    if number_late:
        number_later(session, case)
    else:
        case.seq, case.number = allocate_number(session, settings.jurisdiction_code, year)
    # One statement a row, no unit of work: registration is the hot path. The flush-time
    # listeners would pass these rows by anyway (the insights mark days before today).
    insert_now(session, case)
    insert_now(session, CaseDepartment(case_id=case.id, department_id=principal.department_id))
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
        write_now=True,
    )
    if claim is not None:
        claim.case_id = case.id
    session.flush()
    notify_event(session, settings, case, registered)
    return case, True


def blocker_list(types: list[Any] | None, main: Any, field: str) -> list[str]:
    """The case's blockers from a request: ``types`` when given (the main one first, then
    the further ones by code, repeats dropped), else the one ``main``."""
    if types is None:
        return [main.value]
    if not types:
        raise Invalid("case.blocker_types_empty", "请至少选择一个堵点类型", field=field)
    first = types[0].value
    return [first, *sorted({t.value for t in types} - {first})]


def notify_event(session: Session, settings: Settings, case: Case, event: CaseEvent) -> None:
    """The people concerned hear of a flushed event (``hooks``: notify); for a case still
    without its number, once it has one (the messages carry it)."""

    def tell() -> None:
        for notice in hooks.notices():
            notice(session, settings, case, event)

    when_numbered(session, case, tell)


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
    write_now: bool = False,
) -> CaseEvent:
    """Record a step of ``case``'s history. ``write_now``: INSERT it at once (``insert_now``)
    rather than at the next flush, for a caller that changes nothing of it afterwards."""
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
    if write_now:
        insert_now(session, event)
    else:
        session.add(event)
    # e.g. a 12345 order's result goes back to the platform, in this same transaction.
    for added in hooks.event_added():
        added(session, case, event)
    return event


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
    repo.lock_case_row(session, case.id)
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


def department(session: Session, dept_id: int, field: str) -> Department:
    dept = org_repository.department(session, dept_id)
    if dept is None or not dept.active:
        raise Invalid("case.department_not_found", "目标单位不存在或已停用", field=field)
    return dept


def reclassify(session: Session, case: Case, body: ActionIn, details: dict[str, Any]) -> None:
    """The ``classify`` move: kind, difficulty, nature, blockers and matter, as given; the
    deadlines follow a new kind or difficulty. Records the changes in ``details``."""
    changes: dict[str, Any] = {}
    for name in ("kind", "difficulty", "nature"):
        value = getattr(body, name)
        if value is not None and value.value != getattr(case, name):
            changes[name] = [getattr(case, name), value.value]
            setattr(case, name, value.value)
    if body.blocker_types is not None or body.blocker_type is not None:
        old = repo.blocker_types(session, [case])[case.id]
        if body.blocker_types is not None:
            new = blocker_list(body.blocker_types, None, "blocker_types")
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
        require_row(session, Matter, body.matter_id, "case.matter_not_found", "事项", "matter_id")
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
