"""The routes of Open311 GeoReport v2 at ``/open311/v2/`` (``open311.py`` says what they
serve): every route in JSON and XML by its suffix, refusals in the spec's error format."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import Response

from bancheng.core.config import Settings
from bancheng.core.deps import DB, Conf, api_router
from bancheng.core.inputs import check_inputs
from bancheng.integrations import open311
from bancheng.integrations.open311_format import (
    FORMATS,
    Open311Limit,
    guard,
    hint,
    render,
    split,
)

router = api_router(prefix="/open311/v2", tags=["open311"], dependencies=[Depends(Open311Limit())])

SPEC = "http://wiki.open311.org/GeoReport_v2"


def _read(tail: str, request: Request, settings: Settings) -> tuple[str, str]:
    """The path tail's stem and format, once any ``jurisdiction_id`` given is this one."""
    stem, fmt = split(tail)
    open311.check_jurisdiction(request, settings)
    return stem, fmt


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, settings: Conf) -> Response:
    """Where the endpoint is and what it speaks."""

    def run() -> Response:
        split(f"discovery.{fmt}")
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

    return guard(fmt, run)


@router.get("/services.{fmt}")
def services(fmt: str, request: Request, session: DB, settings: Conf) -> Response:
    """The service list: each matter of the catalogue, and each kind of report."""

    def run() -> Response:
        _read(f"services.{fmt}", request, settings)
        return render(fmt, open311.services(session), "services", "service")

    return guard(fmt, run)


@router.get("/services/{tail}")
def service_definition(tail: str, request: Request, session: DB, settings: Conf) -> Response:
    """A service's definition: its attributes (``kind`` for a matter, the enterprise's
    name and credit code for any)."""

    def run() -> Response:
        code, fmt = _read(tail, request, settings)
        matter, kind = open311.service(session, code)
        definition = open311.definition(matter, kind, code)
        return render(fmt, definition, "service_definition", "attribute")

    return guard(hint(tail), run)


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
        split(f"requests.{fmt}")
        check_inputs(form)  # read from the raw form, so checked here
        open311.check_jurisdiction(request, settings)
        case, token = open311.file_request(session, settings, form)
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

    response = guard(fmt, run)
    if "number" not in out:
        session.rollback()  # refused: nothing of it is kept (the unit of work commits nothing)
    return response


@router.get("/requests.{fmt}")
def get_requests(fmt: str, request: Request, session: DB, settings: Conf) -> Response:
    """Requests filed through Open311: by ids, or by service code, dates and status."""

    def run() -> Response:
        split(f"requests.{fmt}")
        params = dict(request.query_params)
        check_inputs(params)  # read from the raw query string, so checked here
        open311.check_jurisdiction(request, settings)
        cases = open311.list_requests(session, params)
        return render(fmt, open311.requests_out(session, cases), "service_requests", "request")

    return guard(fmt, run)


@router.get("/requests/{tail}")
def get_request(tail: str, request: Request, session: DB, settings: Conf) -> Response:
    def run() -> Response:
        number, fmt = _read(tail, request, settings)
        case = open311.request(session, number)
        return render(fmt, open311.requests_out(session, [case]), "service_requests", "request")

    return guard(hint(tail), run)


@router.get("/tokens/{tail}")
def get_token(tail: str, request: Request, session: DB, settings: Conf) -> Response:
    def run() -> Response:
        token, fmt = _read(tail, request, settings)
        case = open311.token_case(session, token)
        data = [{"service_request_id": case.number, "token": token}]
        return render(fmt, data, "service_requests", "request")

    return guard(hint(tail), run)
