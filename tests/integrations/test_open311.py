"""Open311 GeoReport v2: the spec's calls and answers in JSON and XML, errors in the spec's
format, a request filed through the phone page's intake, and two Open311 clients from PyPI
(civicbot files and reads in JSON, georeport reads XML) driving a real server."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
import xmltodict
from sqlalchemy import func, select

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.integrations.models import Open311Token
from bancheng.org.auth import create_api_token
from tests.conftest import free_port

BASE = "/open311/v2"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture()
def api_key(session, org):
    _, raw = create_api_token(session, org.users["clerk"], "市民App", ["open311.submit"], 30)
    session.commit()
    return raw


def _form(api_key: str, **over: Any) -> dict[str, Any]:
    form = {
        "api_key": api_key,
        "service_code": "HF-001",
        "lat": "39.9087",
        "long": "116.3975",
        "address_string": "人民路1号市民中心",
        "description": "公积金提取被要求重复提交材料，窗口说系统里查不到我的缴存记录。",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "attribute[kind]": "complaint",
    }
    form.update(over)
    return {k: v for k, v in form.items() if v is not None}


def test_discovery_and_services_in_json_and_xml(client, org):
    d = client.get(f"{BASE}/discovery.json").json()
    [endpoint] = d["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    x = xmltodict.parse(client.get(f"{BASE}/discovery.xml").content)
    assert x["discovery"]["endpoints"]["endpoint"]["formats"]["format"] == [
        "application/json",
        "text/xml",
    ]

    services = client.get(f"{BASE}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert codes[:2] == ["HF-001", "RE-001"]
    assert codes[2:] == [
        "kind-consultation",
        "kind-cannot_do",
        "kind-complaint",
        "kind-report",
        "kind-help",
        "kind-suggestion",
    ]
    fund = services[0]
    assert (fund["service_name"], fund["group"], fund["metadata"], fund["type"]) == (
        "住房公积金提取",
        "市住房公积金管理中心",
        True,
        "realtime",
    )
    r = client.get(f"{BASE}/services.xml")
    assert r.headers["content-type"].startswith("text/xml")
    xs = xmltodict.parse(r.content)["services"]["service"]
    assert [s["service_code"] for s in xs] == codes
    assert xs[0]["metadata"] == "true"

    definition = client.get(f"{BASE}/services/HF-001.json").json()
    assert definition["service_code"] == "HF-001"
    kind = definition["attributes"][0]
    assert (kind["code"], kind["datatype"], kind["required"], kind["variable"]) == (
        "kind",
        "singlevaluelist",
        False,
        True,
    )
    assert {"key": "complaint", "name": "投诉"} in kind["values"]
    xd = xmltodict.parse(client.get(f"{BASE}/services/HF-001.xml").content)
    attrs = xd["service_definition"]["attributes"]["attribute"]
    assert [a["code"] for a in attrs] == ["kind", "org_name", "credit_code"]
    assert attrs[0]["values"]["value"][0] == {"key": "consultation", "name": "咨询"}


def test_errors_have_the_spec_format(client, org):
    r = client.get(f"{BASE}/services/NOPE.json")
    assert r.status_code == 404
    assert r.json() == [
        {"code": 404, "description": "未知的服务代码：NOPE", "error": "open311.service_not_found"}
    ]
    r = client.get(f"{BASE}/services/NOPE.xml")
    assert r.status_code == 404
    assert xmltodict.parse(r.content)["errors"]["error"]["code"] == "404"
    r = client.get(f"{BASE}/services.json?jurisdiction_id=elsewhere")
    assert (r.status_code, r.json()[0]["error"]) == (404, "open311.jurisdiction_not_found")
    r = client.get(f"{BASE}/services.csv")
    assert (r.status_code, r.json()[0]["error"]) == (404, "open311.format_unknown")


def test_post_request_files_a_case_and_it_can_be_read(client, org, session, api_key):
    clock.set_clock(lambda: NOW)
    before = session.scalar(select(func.count()).select_from(Case))
    refused = [
        (_form("wrong"), 403, "open311.api_key_invalid"),
        (_form(api_key, service_code="NOPE"), 404, "open311.service_not_found"),
        (
            _form(api_key, lat=None, long=None, address_string=None),
            400,
            "open311.location_required",
        ),
        (_form(api_key, phone=None), 400, "open311.contact_required"),
        (_form(api_key, phone="12345"), 400, "reporter.phone_invalid"),
        (_form(api_key, **{"attribute[kind]": "x"}), 400, "open311.attribute_invalid"),
        (_form(api_key, description=None), 400, "open311.description_required"),
    ]
    for form, status, code in refused:
        r = client.post(f"{BASE}/requests.json", data=form)
        assert (r.status_code, r.json()[0]["error"]) == (status, code), r.text
    assert session.scalar(select(func.count()).select_from(Case)) == before

    r = client.post(f"{BASE}/requests.json", data=_form(api_key))
    assert r.status_code == 201, r.text
    [out] = r.json()
    number, token = out["service_request_id"], out["token"]
    case = session.scalar(select(Case).where(Case.number == number))
    assert (case.channel, case.kind, case.state, case.reporter_name) == (
        "online",
        "complaint",
        "registered",
        "张三",
    )
    assert case.matter_id == org.matters["fund"].id and case.due_at is not None
    assert (case.latitude, case.longitude, case.coord_datum, case.location_source) == (
        39.9087,
        116.3975,
        "wgs84",
        "open311",
    )
    assert (case.wgs84_lat, case.address) == (39.9087, "人民路1号市民中心")

    assert client.get(f"{BASE}/tokens/{token}.json").json() == [
        {"service_request_id": number, "token": token}
    ]
    [one] = client.get(f"{BASE}/requests/{number}.json").json()
    assert (one["status"], one["service_code"], one["service_name"]) == (
        "open",
        "HF-001",
        "住房公积金提取",
    )
    assert one["status_notes"] == "已登记"
    assert one["agency_responsible"] == "市政务服务中心"
    assert one["requested_datetime"] == "2026-12-01T10:00:00+08:00"
    assert (one["lat"], one["long"]) == (39.9087, 116.3975)
    x = xmltodict.parse(client.get(f"{BASE}/requests/{number}.xml").content)
    assert x["service_requests"]["request"]["service_request_id"] == number

    # The list and its filters.
    def ids(query: str) -> list[str]:
        r = client.get(f"{BASE}/requests.json?{query}")
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in r.json()]

    assert ids("") == [number]
    assert ids("status=open") == [number]
    assert ids("status=closed") == []
    assert ids("service_code=HF-001,kind-help") == [number]
    assert ids("service_code=RE-001") == []
    assert ids("start_date=2026-11-30T00:00:00Z&end_date=2026-12-02T00:00:00Z") == [number]
    assert ids("start_date=2026-12-02T00:00:00Z") == []
    assert ids(f"service_request_id={number},BC-2026-999999") == [number]
    r = client.get(
        f"{BASE}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z"
    )
    assert (r.status_code, r.json()[0]["error"]) == (400, "open311.range_too_long")
    # Cases that did not come through Open311 are not listed.
    assert session.scalar(select(func.count()).select_from(Open311Token)) == 1


class _OneAtATime:
    """Requests one after another, each to its very end: they all share the test's one
    connection (and its transaction), which must not see two sessions at once."""

    def __init__(self, app: Any) -> None:
        import asyncio

        self.app = app
        self.lock = asyncio.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.lock:
            await self.app(scope, receive, send)


@contextmanager
def serve():
    """The application served over HTTP (the test's transaction, via ``client``); stopped
    and joined before the test reads the database itself."""
    from bancheng.main import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_OneAtATime(create_app()), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/open311/v2"
    server.should_exit = True
    thread.join(timeout=10)


def test_open311_clients_from_pypi_file_and_read(client, org, session, api_key):
    with serve() as live:
        number = _drive_clients(live, api_key)
    case = session.scalar(select(Case).where(Case.number == number))
    assert (case.channel, case.kind, case.reporter_name) == ("online", "cannot_do", "李四")


def _drive_clients(live: str, api_key: str) -> str:
    from civicbot.http import HttpTransport, RateLimiter
    from civicbot.open311 import Open311Client
    from civicbot.registry import Endpoint
    from georeport import GeoReport

    endpoint = Endpoint(id="bancheng", name="办成", base_url=live, write=True)
    c = Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)))
    services = c.list_services()
    assert services[0]["service_code"] == "HF-001"
    sent = c.create_request(
        "HF-001",
        dry_run=False,
        confirm="SEND",
        api_key=api_key,
        validate_remote=True,
        lat=39.9087,
        lng=116.3975,
        description="不动产登记窗口说系统故障，已经跑了三次。",
        first_name="四",
        last_name="李",
        phone="13900001111",
        attributes={"kind": "cannot_do"},
    )
    [created] = sent.response
    number = created["service_request_id"]
    assert c.get_token(created["token"]) == [
        {"service_request_id": number, "token": created["token"]}
    ]
    got = c.get_request(number)
    assert got is not None and (got["status"], got["service_code"]) == ("open", "HF-001")
    assert [r["service_request_id"] for r in c.list_requests(status="open")] == [number]

    geo = GeoReport(live, output_format="xml")
    assert [s["service_code"] for s in geo.get_service_list()][:2] == ["HF-001", "RE-001"]
    one = geo.get_service_request(number)
    assert (one["service_request_id"], one["status"]) == (number, "open")
    definition = geo.get_service_definition("HF-001")
    assert definition["service_code"] == "HF-001"
    return str(number)


def test_a_closed_request_reads_closed_with_the_notice_given(client, org, session, api_key):
    """After 一次性告知 and 归档 the request reads ``closed``; its notes carry the state's
    name and the notice given to the reporter, and the status filter finds it."""
    clock.set_clock(lambda: NOW)
    r = client.post(f"{BASE}/requests.json", data=_form(api_key))
    assert r.status_code == 201, r.text
    number = r.json()[0]["service_request_id"]
    case = session.scalar(select(Case).where(Case.number == number))
    case.state = "closed"  # the lifecycle is tested elsewhere; here only how it reads
    case.notification_text = "经核实已为您补录缴存记录，可再次申请提取。"
    session.flush()

    [one] = client.get(f"{BASE}/requests/{number}.json").json()
    assert one["status"] == "closed"
    assert one["status_notes"] == "已归档：经核实已为您补录缴存记录，可再次申请提取。"
    r = client.get(f"{BASE}/requests.json?status=closed")
    assert [x["service_request_id"] for x in r.json()] == [number]
    assert client.get(f"{BASE}/requests.json?status=open").json() == []
    assert [
        x["service_request_id"]
        for x in client.get(f"{BASE}/requests.json?status=open,closed").json()
    ] == [number]
    r = client.get(f"{BASE}/requests.json?status=pending")
    assert (r.status_code, r.json()[0]["error"]) == (400, "open311.status_invalid")


def test_post_request_in_xml_answers_in_xml(client, org, session, api_key):
    clock.set_clock(lambda: NOW)
    r = client.post(f"{BASE}/requests.xml", data=_form(api_key))
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("text/xml")
    request = xmltodict.parse(r.content)["service_requests"]["request"]
    number = request["service_request_id"]
    assert request["token"] and number.startswith("BC-")
    assert session.scalar(select(func.count()).select_from(Case).where(Case.number == number)) == 1
    before = session.scalar(select(func.count()).select_from(Case))
    r = client.post(f"{BASE}/requests.xml", data=_form(api_key, description=None))
    assert r.status_code == 400
    error = xmltodict.parse(r.content)["errors"]["error"]
    assert (error["code"], error["error"]) == ("400", "open311.description_required")
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_too_many_calls_get_429_and_file_nothing(client, org, session, settings, monkeypatch):
    fixed = datetime(2026, 12, 1, 2, 0, 10, tzinfo=UTC)  # well inside one minute window
    clock.set_clock(lambda: fixed)
    monkeypatch.setattr(settings, "public_rate_limit_per_minute", 2)
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    before = session.scalar(select(func.count()).select_from(Case))
    r = client.get(f"{BASE}/services.json")
    # In the spec's error format, like every other Open311 refusal, not problem+json.
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == [
        {"code": 429, "description": "操作过于频繁，请稍后再试", "error": "rate_limited"}
    ]
    assert 0 < int(r.headers["retry-after"]) <= 60
    r = client.post(f"{BASE}/requests.xml", data=_form("any-key"))
    assert r.status_code == 429
    error = xmltodict.parse(r.content)["errors"]["error"]
    assert (error["code"], error["error"]) == ("429", "rate_limited")
    assert 0 < int(r.headers["retry-after"]) <= 60
    r = client.get(f"{BASE}/requests/BC-2026-000001")  # no suffix: JSON
    assert r.status_code == 429 and r.json()[0]["error"] == "rate_limited"
    assert session.scalar(select(func.count()).select_from(Case)) == before
