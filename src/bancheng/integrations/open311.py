"""Open311 GeoReport v2 at ``/open311/v2/`` (https://wiki.open311.org/GeoReport_v2).

- ``discovery``, ``services`` (the matter catalogue, and one service per case kind),
  ``services/{code}`` (service definitions with attributes), ``requests`` (POST with an
  ``api_key``; GET list with the spec's filters), ``requests/{id}``, ``tokens/{token}``;
  every route in JSON and XML by its suffix (``.json`` / ``.xml``).
- A new request is filed through the same intake as the phone page
  (``intake.service.submit_report``: rate limits, validation, deadline), as channel
  ``online`` with the request's location (WGS-84, as the spec says).
- Statuses: the case's open states are ``open``, everything after resolution ``closed``;
  ``status_notes`` is the state's name and the notice given to the reporter.
- Errors follow the spec: a list of ``{code, description}`` with the HTTP status as
  ``code`` (XML: ``<errors><error>``), plus bancheng's stable code in ``error``.

Privacy: reading (``GET requests``) shows only requests filed through Open311, with the
description masked (names, phones, ID numbers) and no reporter data; the API key is an
API token of bancheng narrowed to ``open311.submit``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from xml.etree import ElementTree as ET

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation
from bancheng.cases.enums import LABELS_ZH, OPEN_STATES, Channel, Kind
from bancheng.cases.models import Case
from bancheng.cases.schemas import LocationIn
from bancheng.cases.service import add_event, department_names
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, db_session
from bancheng.core.errors import DomainError
from bancheng.core.inputs import FIRST_YEAR, LAST_YEAR, check_inputs
from bancheng.core.ratelimit import rate_limit
from bancheng.core.validators import normalize_phone
from bancheng.intake import service as intake
from bancheng.integrations.models import Open311Token
from bancheng.knowledge.masker import mask
from bancheng.org.auth import api_token_lookup
from bancheng.org.models import Department, Matter
from bancheng.org.permissions import allowed

router = api_router(prefix="/open311/v2", tags=["open311"], dependencies=[rate_limit("public")])
DB = Annotated[Session, Depends(db_session)]
Conf = Annotated[Settings, Depends(get_settings)]

SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}
KIND_PREFIX = "kind-"
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
OPEN = frozenset(s.value for s in OPEN_STATES)


class Open311Error(Exception):
    def __init__(self, status: int, description: str, error: str) -> None:
        super().__init__(description)
        self.status, self.description, self.error = status, description, error


# --- rendering -------------------------------------------------------------------------


def _xml_value(parent: ET.Element, key: str, value: Any, item: str) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, list):
        for v in value:
            _xml_item(el, item, v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v, "value")
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def _xml_item(parent: ET.Element, tag: str, obj: Any) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(obj, dict):
        children = {"attributes": "attribute", "values": "value", "endpoints": "endpoint"}
        for k, v in obj.items():
            _xml_value(el, k, v, children.get(k, "format" if k == "formats" else "value"))
    else:
        el.text = str(obj)


def render(fmt: str, data: Any, root: str, item: str, status: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(data, status_code=status)
    top = ET.Element(root)
    if isinstance(data, list):
        for obj in data:
            _xml_item(top, item, obj)
    else:
        for k, v in data.items():
            children = {"attributes": "attribute", "endpoints": "endpoint"}
            _xml_value(top, k, v, children.get(k, "value"))
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")


def error_response(fmt: str, status: int, description: str, error: str) -> Response:
    data = [{"code": status, "description": description, "error": error}]
    return render(fmt if fmt in FORMATS else "json", data, "errors", "error", status)


def _split(path_tail: str) -> tuple[str, str]:
    """``"HF-001.json"`` → ``("HF-001", "json")``; an unknown suffix is a 404."""
    stem, dot, fmt = path_tail.rpartition(".")
    if not dot or fmt not in FORMATS:
        raise Open311Error(404, "未知的格式（应为 .json 或 .xml）", "open311.format_unknown")
    return stem, fmt


def _iso(moment: datetime | None) -> str | None:
    return clock.to_local(moment).isoformat(timespec="seconds") if moment else None


def _check_jurisdiction(request: Request, settings: Settings) -> None:
    given = request.query_params.get("jurisdiction_id")
    if given is None and request.method == "POST":
        given = getattr(request.state, "form", {}).get("jurisdiction_id")
    if given and given != settings.jurisdiction_code:
        raise Open311Error(404, f"未知的辖区：{given}", "open311.jurisdiction_not_found")


# --- services ----------------------------------------------------------------------------


def _kind_attribute(required: bool) -> dict[str, Any]:
    return {
        "variable": True,
        "code": "kind",
        "datatype": "singlevaluelist",
        "required": required,
        "datatype_description": "诉求类型",
        "order": 1,
        "description": "诉求类型（默认：办不成事）",
        "values": [{"key": k.value, "name": LABELS_ZH["kind"][k.value]} for k in Kind],
    }


ENTERPRISE_ATTRIBUTES = [
    {
        "variable": True,
        "code": "org_name",
        "datatype": "string",
        "required": False,
        "datatype_description": "企业名称（企业反映时填写）",
        "order": 2,
        "description": "企业名称",
    },
    {
        "variable": True,
        "code": "credit_code",
        "datatype": "string",
        "required": False,
        "datatype_description": "18位统一社会信用代码",
        "order": 3,
        "description": "统一社会信用代码",
    },
]


def _services(session: Session) -> list[dict[str, Any]]:
    depts = dict(session.execute(select(Department.id, Department.name)).all())
    out = [
        {
            "service_code": m.code,
            "service_name": m.name,
            "description": f"{m.name}：办理中遇到的问题（{depts.get(m.department_id, '')}）",
            "metadata": True,
            "type": "realtime",
            "keywords": "办不成事,政务服务",
            "group": depts.get(m.department_id, ""),
        }
        for m in session.scalars(
            select(Matter).where(Matter.active.is_(True)).order_by(Matter.code)
        )
    ]
    out += [
        {
            "service_code": f"{KIND_PREFIX}{k.value}",
            "service_name": LABELS_ZH["kind"][k.value],
            "description": f"{LABELS_ZH['kind'][k.value]}（不限事项）",
            "metadata": True,
            "type": "realtime",
            "keywords": LABELS_ZH["kind"][k.value],
            "group": "诉求类型",
        }
        for k in Kind
    ]
    return out


def _service(session: Session, code: str) -> tuple[Matter | None, Kind | None]:
    if code.startswith(KIND_PREFIX):
        try:
            return None, Kind(code[len(KIND_PREFIX) :])
        except ValueError:
            pass
    else:
        matter = session.scalar(select(Matter).where(Matter.code == code, Matter.active.is_(True)))
        if matter is not None:
            return matter, None
    raise Open311Error(404, f"未知的服务代码：{code}", "open311.service_not_found")


def _definition(matter: Matter | None, kind: Kind | None, code: str) -> dict[str, Any]:
    attrs = ([_kind_attribute(False)] if matter is not None else []) + ENTERPRISE_ATTRIBUTES
    return {"service_code": code, "attributes": attrs}


# --- requests ----------------------------------------------------------------------------


def _status(case: Case) -> str:
    return "open" if case.state in OPEN else "closed"


def _service_of(case: Case, matters: dict[int, tuple[str, str]]) -> tuple[str, str]:
    if case.matter_id and case.matter_id in matters:
        return matters[case.matter_id]
    return f"{KIND_PREFIX}{case.kind}", LABELS_ZH["kind"].get(case.kind, case.kind)


def _request_out(
    case: Case, matters: dict[int, tuple[str, str]], names: dict[int, str]
) -> dict[str, Any]:
    code, name = _service_of(case, matters)
    notes = LABELS_ZH["state"].get(case.state, case.state)
    if case.notification_text:
        notes += "：" + case.notification_text
    has_point = case.coord_datum is not None and case.wgs84_lat is not None
    return {
        "service_request_id": case.number,
        "status": _status(case),
        "status_notes": notes,
        "service_name": name,
        "service_code": code,
        "description": mask(case.description, [case.reporter_name]),
        "agency_responsible": names.get(case.current_department_id, ""),
        "service_notice": None,
        "requested_datetime": _iso(case.registered_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.due_at),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.wgs84_lat if has_point else None,
        "long": case.wgs84_lng if has_point else None,
        "media_url": None,
    }


def _requests_out(session: Session, cases: list[Case]) -> list[dict[str, Any]]:
    matters = {
        m.id: (m.code, m.name) for m in session.execute(select(Matter.id, Matter.code, Matter.name))
    }
    names = department_names(session, {c.current_department_id for c in cases})
    return [_request_out(c, matters, names) for c in cases]


def _open311_cases():  # type: ignore[no-untyped-def]
    return select(Case).join(Open311Token, Open311Token.case_id == Case.id)


def _parse_dt(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # 9999-12-31T23:59-12:00 overflows
            raise ValueError(value)
    except ValueError:
        raise Open311Error(
            400, f"{field} 须为 W3C 日期时间，如 2010-01-01T00:00:00Z", "open311.date_invalid"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.SHANGHAI)


def _check_api_key(session: Session, raw: str | None) -> tuple[int, str]:
    """The key's user (id, name) when it is a live token narrowed to open311.submit."""
    found = api_token_lookup(session, raw) if raw else None
    if (
        found is None
        or "open311.submit" not in (found[0].permissions or [])
        or not allowed(found[1].role, "open311.submit")
    ):
        raise Open311Error(403, "api_key 无效、已过期或无权提交", "open311.api_key_invalid")
    return found[1].id, found[1].username


def _form_value(form: dict[str, str], key: str) -> str | None:
    value = (form.get(key) or "").strip()
    return value or None


def _float(form: dict[str, str], key: str) -> float | None:
    value = _form_value(form, key)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{key} 须为数字", "open311.location_invalid") from None


def file_request(session: Session, settings: Settings, form: dict[str, str]) -> tuple[Case, str]:
    """POST requests: a case through the phone page's intake path; returns it and the
    token an Open311 client may follow it with."""
    user_id, username = _check_api_key(session, form.get("api_key"))
    code = _form_value(form, "service_code")
    if code is None:
        raise Open311Error(400, "缺少 service_code", "open311.service_code_required")
    matter, kind = _service(session, code)
    if matter is not None:
        given = _form_value(form, "attribute[kind]") or Kind.cannot_do.value
        try:
            kind = Kind(given)
        except ValueError:
            raise Open311Error(
                400, f"attribute[kind] 的取值无效：{given}", "open311.attribute_invalid"
            ) from None
    assert kind is not None
    lat, lng = _float(form, "lat"), _float(form, "long")
    address = _form_value(form, "address_string")
    if (lat is None or lng is None) and address is None and not _form_value(form, "address_id"):
        raise Open311Error(
            400, "须提供位置：lat 和 long，或 address_string", "open311.location_required"
        )
    if (lat is None) != (lng is None):
        raise Open311Error(400, "lat 和 long 须同时提供", "open311.location_invalid")
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise Open311Error(400, "lat/long 超出范围", "open311.location_invalid")
    description = _form_value(form, "description")
    if description is None:
        raise Open311Error(400, "请填写诉求内容（description）", "open311.description_required")
    if len(description) > 4000:
        raise Open311Error(400, "诉求内容不能超过4000字", "open311.description_too_long")
    phone = _form_value(form, "phone")
    name = "".join(
        p for p in (_form_value(form, "last_name"), _form_value(form, "first_name")) if p
    )
    if phone is None or not name:
        raise Open311Error(
            400,
            "须提供反映人的姓名（first_name/last_name）和手机号（phone），以便回复办理结果",
            "open311.contact_required",
        )
    normalize_phone(phone)  # a clear error before anything is counted
    report = intake.PublicReport(
        kind=kind,
        description=description,
        name=name[:100],
        phone=phone,
        matter_id=matter.id if matter else None,
        org_name=_form_value(form, "attribute[org_name]"),
        credit_code=_form_value(form, "attribute[credit_code]"),
        location=LocationIn(address=address, latitude=lat, longitude=lng, datum="wgs84"),
    )
    case, _, _ = intake.submit_report(
        session, settings, report, channel=Channel.online, location_source="open311"
    )
    token = secrets.token_urlsafe(18)
    session.add(Open311Token(token=token, case_id=case.id, created_at=clock.now()))
    details = {k: form[k] for k in ("device_id", "account_id", "media_url") if _form_value(form, k)}
    add_event(
        session, case, "open311_received", case.state, case.state, None,
        details={"service_code": code, **details}, public=False,
    )  # fmt: skip
    log_operation(
        session,
        actor_id=user_id,
        actor_name=username,
        action="open311.request_create",
        object_type="case_number",
        object_id=case.number,
        details={"service_code": code},
    )
    session.flush()
    return case, token


def list_requests(session: Session, params: dict[str, str]) -> list[Case]:
    stmt = _open311_cases()
    ids = params.get("service_request_id")
    if ids:
        wanted = [i.strip().upper() for i in ids.split(",") if i.strip()][:MAX_RESULTS]
        stmt = stmt.where(Case.number.in_(wanted))
    else:
        now = clock.now()
        start = _parse_dt(params["start_date"], "start_date") if params.get("start_date") else None
        end = _parse_dt(params["end_date"], "end_date") if params.get("end_date") else None
        if start is None and end is None:
            start = now - timedelta(days=DEFAULT_DAYS)
        elif start is None:
            assert end is not None
            start = end - timedelta(days=DEFAULT_DAYS)
        if end is not None and end < start:
            raise Open311Error(400, "end_date 早于 start_date", "open311.date_invalid")
        if end is not None and end - start > timedelta(days=DEFAULT_DAYS):
            raise Open311Error(400, "查询范围不能超过90天", "open311.range_too_long")
        stmt = stmt.where(Case.registered_at >= start.astimezone(UTC))
        if end is not None:
            stmt = stmt.where(Case.registered_at <= end.astimezone(UTC))
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        if codes:
            kinds = [c[len(KIND_PREFIX) :] for c in codes if c.startswith(KIND_PREFIX)]
            matter_ids = list(session.scalars(select(Matter.id).where(Matter.code.in_(codes))))
            conds: list[ColumnElement[bool]] = []
            if kinds:
                conds.append(and_(Case.kind.in_(kinds), Case.matter_id.is_(None)))
            if matter_ids:
                conds.append(Case.matter_id.in_(matter_ids))
            if not conds:
                return []
            stmt = stmt.where(or_(*conds))
        statuses = {s.strip() for s in (params.get("status") or "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status 只能是 open 或 closed", "open311.status_invalid")
        if statuses == {"open"}:
            stmt = stmt.where(Case.state.in_(sorted(OPEN)))
        elif statuses == {"closed"}:
            stmt = stmt.where(Case.state.not_in(sorted(OPEN)))
    stmt = stmt.order_by(Case.registered_at.desc(), Case.id.desc()).limit(MAX_RESULTS)
    return list(session.scalars(stmt))


# --- routes ------------------------------------------------------------------------------


def _guard(fmt_hint: str, fn: Any) -> Response:
    try:
        return fn()  # type: ignore[no-any-return]
    except Open311Error as exc:
        return error_response(fmt_hint, exc.status, exc.description, exc.error)
    except DomainError as exc:
        status = 429 if exc.status_code == 429 else (400 if exc.status_code < 500 else 500)
        return error_response(fmt_hint, status, exc.detail, exc.code)


def _hint(tail: str) -> str:
    fmt = tail.rpartition(".")[2]
    return fmt if fmt in FORMATS else "json"


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, settings: Conf) -> Response:
    """Where the endpoint is and what it speaks."""

    def run() -> Response:
        _split(f"discovery.{fmt}")
        base = str(request.base_url).rstrip("/") + "/open311/v2/"
        data = {
            "changeset": "2026-12-01T00:00:00+08:00",
            "contact": "政务服务中心“办不成事”反映窗口",
            "key_service": "api_key 由系统管理员签发（令牌权限 open311.submit）",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": list(FORMATS.values()),
                }
            ],
        }
        return render(fmt, data, "discovery", "endpoint")

    return _guard(fmt, run)


@router.get("/services.{fmt}")
def services(fmt: str, request: Request, session: DB, settings: Conf) -> Response:
    """The service list: each matter of the catalogue, and each kind of report."""

    def run() -> Response:
        _split(f"services.{fmt}")
        _check_jurisdiction(request, settings)
        return render(fmt, _services(session), "services", "service")

    return _guard(fmt, run)


@router.get("/services/{tail}")
def service_definition(tail: str, request: Request, session: DB, settings: Conf) -> Response:
    """A service's definition: its attributes (``kind`` for a matter, the enterprise's
    name and credit code for any)."""

    def run() -> Response:
        code, fmt = _split(tail)
        _check_jurisdiction(request, settings)
        matter, kind = _service(session, code)
        return render(fmt, _definition(matter, kind, code), "service_definition", "attribute")

    return _guard(_hint(tail), run)


async def _read_form(request: Request) -> None:
    """The form, read on the event loop before the (sync) endpoint runs; kept on the
    request so that its values are checked inside the endpoint, where a refusal gets the
    spec's error format."""
    request.state.form = {k: str(v) for k, v in (await request.form()).items()}


@router.post("/requests.{fmt}", dependencies=[Depends(_read_form)])
def post_request(fmt: str, request: Request, session: DB, settings: Conf) -> Response:
    """File a request (form-encoded, as the spec says; ``api_key`` required). Runs in the
    request's unit of work like every route: it commits before the answer leaves, and a
    refusal leaves nothing behind."""
    form: dict[str, str] = request.state.form
    out: dict[str, str] = {}

    def run() -> Response:
        _split(f"requests.{fmt}")
        check_inputs(form)  # read from the raw form, so checked here
        _check_jurisdiction(request, settings)
        case, token = file_request(session, settings, form)
        out["number"] = case.number
        data = [
            {
                "service_request_id": case.number,
                "token": token,
                "service_notice": "已受理，可凭受理编号和手机号在“码上反馈”查询办理进度",
                "account_id": None,
            }
        ]
        return render(fmt, data, "service_requests", "request", 201)

    response = _guard(fmt, run)
    if "number" not in out:
        session.rollback()  # refused: nothing of it is kept (the unit of work commits nothing)
    return response


@router.get("/requests.{fmt}")
def get_requests(fmt: str, request: Request, session: DB, settings: Conf) -> Response:
    """Requests filed through Open311: by ids, or by service code, dates and status."""

    def run() -> Response:
        _split(f"requests.{fmt}")
        params = dict(request.query_params)
        check_inputs(params)  # read from the raw query string, so checked here
        _check_jurisdiction(request, settings)
        cases = list_requests(session, params)
        return render(fmt, _requests_out(session, cases), "service_requests", "request")

    return _guard(fmt, run)


@router.get("/requests/{tail}")
def get_request(tail: str, request: Request, session: DB, settings: Conf) -> Response:
    def run() -> Response:
        number, fmt = _split(tail)
        _check_jurisdiction(request, settings)
        case = session.scalar(_open311_cases().where(Case.number == number.upper()))
        if case is None:
            raise Open311Error(404, f"未找到服务请求：{number}", "open311.request_not_found")
        return render(fmt, _requests_out(session, [case]), "service_requests", "request")

    return _guard(_hint(tail), run)


@router.get("/tokens/{tail}")
def get_token(tail: str, request: Request, session: DB, settings: Conf) -> Response:
    def run() -> Response:
        token, fmt = _split(tail)
        _check_jurisdiction(request, settings)
        row = session.get(Open311Token, token[:64])
        case = session.get(Case, row.case_id) if row else None
        if case is None:
            raise Open311Error(404, "未找到该令牌", "open311.token_not_found")
        data = [{"service_request_id": case.number, "token": token}]
        return render(fmt, data, "service_requests", "request")

    return _guard(_hint(tail), run)
