"""The case API: thin handlers that parse, call the service and return schemas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, File, Header, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action, note_object
from bancheng.cases import actions, co_handling, service
from bancheng.cases import repository as repo
from bancheng.cases.case_clock import light_at
from bancheng.cases.enums import event_label
from bancheng.cases.files import FileStore
from bancheng.cases.hooks import hooks
from bancheng.cases.models import Attachment, Case, CaseEvent
from bancheng.cases.numbering import number_pending
from bancheng.cases.schemas import (
    ActionIn,
    AttachmentOut,
    AvailableAction,
    CaseCreate,
    CaseFilter,
    CaseOut,
    CasePage,
    CaseSummary,
    CoHandlerOut,
    DepartmentRef,
    EndRequestOut,
    EventOut,
    ExtensionOut,
    LightCount,
    LocationOut,
    ObjectionOut,
    ReporterOut,
)
from bancheng.core import clock
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.errors import Invalid, TooLarge
from bancheng.core.schemas import from_row
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/cases", tags=["cases"])

LIST_PARAMS = frozenset(CaseFilter.model_fields)
MULTI_PARAMS = frozenset(
    {"state", "channel", "kind", "difficulty", "blocker_type", "nature", "light"}
)


def _ref(names: dict[int, str], ident: int | None) -> DepartmentRef | None:
    return DepartmentRef(id=ident, name=names.get(ident, "")) if ident is not None else None


def summary(
    case: Case, names: dict[int, str], blockers: dict[int, list[str]] | None = None
) -> CaseSummary:
    return from_row(
        CaseSummary,
        case,
        blocker_types=(blockers or {}).get(case.id, [case.blocker_type]),
        reporter_phone=case.reporter_phone_masked,
        current_department=_ref(names, case.current_department_id),
        light=light_at(case, clock.now()),
    )


def location_out(case: Case) -> LocationOut | None:
    if case.address is None and case.latitude is None:
        return None
    return from_row(LocationOut, case, datum=case.coord_datum, source=case.location_source)


def detail(
    session: Session,
    case: Case,
    revealed: dict[str, str | None] | None = None,
    *,
    new: bool = False,
    blockers: dict[int, list[str]] | None = None,
) -> CaseOut:
    ids = {
        case.current_department_id,
        case.first_receipt_department_id,
        case.stuck_department_id,
        case.suggested_department_id,
    }
    co = [] if new else co_handling.co_handlers_of(case)
    objections = [] if new else repo.objections(session, case.id)
    ids |= {c.department_id for c in co}
    ids |= {o.department_id for o in objections} | {o.suggested_department_id for o in objections}
    names = service.department_names(session, {i for i in ids if i is not None})
    matter = repo.matter_of(session, case)
    now = clock.now()
    reporter = ReporterOut(
        type=case.reporter_type,  # type: ignore[arg-type]
        name=case.reporter_name,
        phone=revealed["phone"] if revealed else case.reporter_phone_masked,  # type: ignore[arg-type]
        id_number=revealed["id_number"] if revealed else case.reporter_id_masked,
        org_name=case.reporter_org_name,
        credit_code=case.reporter_credit_code,
        masked=revealed is None,
    )
    if blockers is None:
        blockers = repo.blocker_types(session, [case])
    return from_row(
        CaseOut,
        case,
        **summary(case, names, blockers).model_dump(),
        reporter=reporter,
        matter_name=matter.name if matter else None,
        stuck_department=_ref(names, case.stuck_department_id),
        first_receipt_department=_ref(names, case.first_receipt_department_id),
        suggested_department=_ref(names, case.suggested_department_id),
        extensions=[]
        if new
        else [
            ExtensionOut.model_validate(e, from_attributes=True)
            for e in repo.extensions(session, case.id)
        ],
        location=location_out(case),
        co_handlers=[
            from_row(
                CoHandlerOut,
                c,
                department=_ref(names, c.department_id),
                overdue=(c.replied_at or now) >= c.due_at if c.status != "cancelled" else False,
            )
            for c in co
        ],
        objections=[
            from_row(
                ObjectionOut,
                o,
                department=_ref(names, o.department_id),
                suggested_department=_ref(names, o.suggested_department_id),
            )
            for o in objections
        ],
        end_request=EndRequestOut(
            end_as=case.end_request,  # type: ignore[arg-type]
            basis=case.end_request_basis or "",
            requested_by_id=case.end_requested_by_id,
            requested_at=case.end_requested_at,  # type: ignore[arg-type]
        )
        if case.end_request
        else None,
    )


def parse_filter(request: Request) -> CaseFilter:
    """Ledger filters from the query string. Unknown parameters are refused rather than
    ignored, so nothing (a smuggled ``scope=all``, say) passes silently."""
    params = request.query_params
    unknown = sorted(set(params) - LIST_PARAMS)
    if unknown:
        raise Invalid(
            "request.unknown_parameter",
            f"不支持的查询参数：{', '.join(unknown)}",
            parameters=unknown,
        )
    raw: dict[str, Any] = {}
    for key in params:
        values = params.getlist(key)
        many = key in MULTI_PARAMS
        raw[key] = [v for val in values for v in val.split(",") if v] if many else values[-1]
    try:
        return CaseFilter.model_validate(raw)
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise Invalid("request.invalid_filter", "查询条件不正确", errors=errors) from exc


@router.post("", status_code=201, response_model=CaseOut)
def create_case(
    data: CaseCreate,
    response: Response,
    session: DB,
    settings: Conf,
    principal: Principal = require("case.create"),
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    case, created = service.create_case(
        session, settings, principal, data, idempotency_key, number_late=True
    )
    if created:
        for registered in hooks.created():  # routing's automatic dispatch
            registered(session, settings, principal, case)
    # A new case's blockers are the ones just written; a replay's are read, both before
    # the number, like the rest.
    blockers = (
        {case.id: service.blocker_list(data.blocker_types, data.blocker_type, "blocker_types")}
        if created
        else repo.blocker_types(session, [case])
    )
    number_pending(session)  # last: the counter's row lock lasts from here to the commit
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/cases/{case.id}"
    note_object(session, "case", case.id)
    return detail(session, case, new=created, blockers=blockers)


@router.get("", response_model=CasePage)
def list_cases(
    session: DB,
    f: CaseFilter = Depends(parse_filter),
    principal: Principal = require("case.read"),
) -> CasePage:
    rows, total, capped = repo.list_cases(session, principal, f)
    names = service.department_names(session, {c.current_department_id for c in rows})
    blockers = repo.blocker_types(session, rows)
    return CasePage(
        items=[summary(c, names, blockers) for c in rows],
        total=total,
        total_capped=capped,
        page=f.page,
        page_size=f.page_size,
    )


@router.get("/by-phone", response_model=list[CaseSummary])
def cases_by_phone(
    session: DB,
    phone: Annotated[str, Query(min_length=5, max_length=30)],
    principal: Principal = require("reporter.lookup"),
) -> list[CaseSummary]:
    """A reporter's earlier cases, found through the keyed hash of their phone."""
    rows = repo.cases_by_phone_hash(session, principal, service.phone_lookup_hash(phone))
    names = service.department_names(session, {c.current_department_id for c in rows})
    return [summary(c, names) for c in rows]


@router.get("/lights", response_model=list[LightCount])
def lights_by_department(
    session: DB, principal: Principal = require("case.read")
) -> list[LightCount]:
    """Green, yellow and red open cases per current department, in the caller's scope."""
    rows = repo.light_counts(session, principal)
    names = service.department_names(session, {d for d, _, _ in rows})
    by_dept: dict[int, LightCount] = {}
    for dept, light, n in rows:
        item = by_dept.setdefault(
            dept, LightCount(department=DepartmentRef(id=dept, name=names.get(dept, "")))
        )
        setattr(item, light, n)
    return sorted(by_dept.values(), key=lambda x: (-x.red, -x.yellow, x.department.id))


@router.get("/{case_id}", response_model=CaseOut)
def read_case(case_id: int, session: DB, principal: Principal = require("case.read")) -> CaseOut:
    return detail(session, repo.get_case(session, principal, case_id))


@router.post("/{case_id}/reveal", response_model=CaseOut)
def reveal_case_reporter(
    case_id: int, session: DB, principal: Principal = require("case.reveal_pii")
) -> CaseOut:
    """The reporter's full phone and ID number. Every reveal is logged."""
    case = repo.get_case(session, principal, case_id)
    log_action(
        session,
        principal,
        "case.reveal_pii",
        object_type="case",
        object_id=case.id,
    )
    return detail(session, case, service.reveal_reporter(case))


@router.get("/{case_id}/actions", response_model=list[AvailableAction])
def case_actions(
    case_id: int, session: DB, settings: Conf, principal: Principal = require("case.read")
) -> list[AvailableAction]:
    case = repo.get_case(session, principal, case_id)
    return actions.available_actions(session, case, principal, settings)


@router.post("/{case_id}/actions/{action}", response_model=CaseOut)
def perform_action(
    case_id: int,
    action: str,
    body: ActionIn,
    session: DB,
    settings: Conf,
    principal: Principal = require("case.act"),
) -> CaseOut:
    case = repo.get_case(session, principal, case_id, lock=True)
    actions.perform(session, settings, principal, case, action, body)
    log_action(
        session,
        principal,
        f"case.{action}",
        object_type="case",
        object_id=case.id,
    )
    return detail(session, case)


def _event_out(e: CaseEvent, names: dict[int, str]) -> EventOut:
    return EventOut(
        id=e.id,
        at=e.at,
        action=e.action,
        label=event_label(e.action),
        from_state=e.from_state,  # type: ignore[arg-type]
        to_state=e.to_state,
        actor_name=e.actor_name,  # type: ignore[arg-type]
        actor_department=_ref(names, e.actor_department_id),
        reason=e.reason,
        details=e.details,
        public=e.public,
    )


@router.get("/{case_id}/timeline", response_model=list[EventOut])
def timeline(
    case_id: int, session: DB, principal: Principal = require("case.read")
) -> list[EventOut]:
    case = repo.get_case(session, principal, case_id)
    rows = repo.events(session, case.id)
    names = service.department_names(
        session, {e.actor_department_id for e in rows if e.actor_department_id}
    )
    return [_event_out(e, names) for e in rows]


def _attachment_out(a: Attachment) -> AttachmentOut:
    return AttachmentOut.model_validate(a, from_attributes=True)


@router.get("/{case_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(
    case_id: int, session: DB, principal: Principal = require("case.read")
) -> list[AttachmentOut]:
    case = repo.get_case(session, principal, case_id)
    return [_attachment_out(a) for a in repo.attachments(session, case.id)]


@router.post("/{case_id}/attachments", status_code=201, response_model=AttachmentOut)
def upload_attachment(
    case_id: int,
    file: Annotated[UploadFile, File()],
    session: DB,
    settings: Conf,
    principal: Principal = require("case.attach"),
) -> AttachmentOut:
    data = file.file.read(settings.attachment_max_bytes + 1)
    if len(data) > settings.attachment_max_bytes:
        raise TooLarge(
            "attachment.too_large",
            f"文件超过{settings.attachment_max_bytes // (1024 * 1024)}MB上限",
        )
    case = repo.get_case(session, principal, case_id, lock=True)
    att = service.add_attachment(
        session, settings, principal, case, file.filename or "upload", data
    )
    return _attachment_out(att)


@router.get("/{case_id}/attachments/{attachment_id}")
def download_attachment(
    case_id: int,
    attachment_id: int,
    session: DB,
    settings: Conf,
    principal: Principal = require("case.read"),
) -> FileResponse:
    case = repo.get_case(session, principal, case_id)
    att = repo.attachment(session, case, attachment_id)
    store = FileStore(settings.attachments_dir)
    return FileResponse(
        store.path_for(att.sha256),
        media_type=att.media_type,
        headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"},
    )
