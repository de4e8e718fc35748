"""Open311 GeoReport v2 at ``/open311/v2/`` (https://wiki.open311.org/GeoReport_v2): what
its routes (``open311_api.py``) serve, in the formats of ``open311_format.py``.

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
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation
from bancheng.cases.enums import LABELS_ZH, OPEN_STATES, Channel, Kind
from bancheng.cases.models import Case
from bancheng.cases.schemas import LocationIn
from bancheng.cases.service import add_event, department_names
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.inputs import FIRST_YEAR, LAST_YEAR
from bancheng.core.validators import normalize_phone
from bancheng.intake import service as intake
from bancheng.integrations import repository
from bancheng.integrations.models import Open311Token
from bancheng.integrations.open311_format import Open311Error
from bancheng.knowledge.masker import mask
from bancheng.org import repository as org_repository
from bancheng.org.auth import api_token_lookup
from bancheng.org.models import Matter
from bancheng.org.permissions import allowed

KIND_PREFIX = "kind-"
MAX_RESULTS = repository.OPEN311_MAX_RESULTS
DEFAULT_DAYS = 90
OPEN = frozenset(s.value for s in OPEN_STATES)


def _iso(moment: datetime | None) -> str | None:
    return clock.to_local(moment).isoformat(timespec="seconds") if moment else None


def check_jurisdiction(request: Request, settings: Settings) -> None:
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


def services(session: Session) -> list[dict[str, Any]]:
    depts = repository.department_names(session)
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
        for m in org_repository.active_matters(session)
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


def service(session: Session, code: str) -> tuple[Matter | None, Kind | None]:
    if code.startswith(KIND_PREFIX):
        try:
            return None, Kind(code[len(KIND_PREFIX) :])
        except ValueError:
            pass
    else:
        matter = repository.active_matter(session, code)
        if matter is not None:
            return matter, None
    raise Open311Error(404, f"未知的服务代码：{code}", "open311.service_not_found")


def definition(matter: Matter | None, kind: Kind | None, code: str) -> dict[str, Any]:
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


def requests_out(session: Session, cases: list[Case]) -> list[dict[str, Any]]:
    matters = repository.matter_services(session)
    names = department_names(session, {c.current_department_id for c in cases})
    return [_request_out(c, matters, names) for c in cases]


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
    matter, kind = service(session, code)
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
    """GET requests: by ids (``service_request_id``), or by the spec's filters: a date
    range of at most ``DEFAULT_DAYS`` (the last ones by default), service codes, status."""
    ids = params.get("service_request_id")
    if ids:
        wanted = [i.strip().upper() for i in ids.split(",") if i.strip()][:MAX_RESULTS]
        return repository.open311_cases(session, numbers=wanted)
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
    codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
    statuses = {s.strip() for s in (params.get("status") or "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status 只能是 open 或 closed", "open311.status_invalid")
    return repository.open311_cases(
        session,
        start=start.astimezone(UTC),
        end=end.astimezone(UTC) if end is not None else None,
        kinds=[c[len(KIND_PREFIX) :] for c in codes if c.startswith(KIND_PREFIX)],
        matter_codes=codes,
        states=sorted(OPEN) if statuses == {"open"} else None,
        other_states=sorted(OPEN) if statuses == {"closed"} else None,
    )


def request(session: Session, number: str) -> Case:
    """GET requests/{id}: a request filed through Open311."""
    case = repository.open311_case(session, number.upper())
    if case is None:
        raise Open311Error(404, f"未找到服务请求：{number}", "open311.request_not_found")
    return case


def token_case(session: Session, token: str) -> Case:
    """GET tokens/{token}: the request a token (from POST requests) follows."""
    case = repository.open311_token_case(session, token[:64])
    if case is None:
        raise Open311Error(404, "未找到该令牌", "open311.token_not_found")
    return case
