"""The case API: creation, validation, idempotency, the ledger list, attachments."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from bancheng.cases.models import Attachment, Case, CaseEvent
from bancheng.core.clock import SHANGHAI
from bancheng.core.crypto import get_crypto
from tests.cases.helpers import as_user
from tests.conftest import case_payload


def _count(session, model=Case):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_openapi_docs(client):
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/v1/cases/{case_id}/actions/{action}" in paths


def test_created_case_has_every_field_and_encrypted_pii(client, org, session):
    clerk = as_user(client, "clerk")
    body = clerk.create(
        channel="director_hotline",
        kind="complaint",
        difficulty="hard",
        blocker_type="cross_department",
        matter_id=org.matters["estate"].id,
        hall_id=org.hall.id,
        window_id=org.window.id,
        reporter={
            "type": "enterprise",
            "name": "李四",
            "phone": "+86 139-0000-1111",
            "org_name": "云川市某某科技有限公司",
            "credit_code": "91350100M000100Y43",
        },
    )
    assert body["number"].startswith("BC-")
    assert (body["channel"], body["kind"], body["difficulty"], body["blocker_type"]) == (
        "director_hotline",
        "complaint",
        "hard",
        "cross_department",
    )
    assert body["matter_name"] == "不动产登记"
    assert body["stuck_department"]["id"] == org.id("estate")
    assert body["reporter"] == {
        "type": "enterprise",
        "name": "李四",
        "phone": "139****1111",
        "id_number": None,
        "org_name": "云川市某某科技有限公司",
        "credit_code": "91350100M000100Y43",
        "masked": True,
    }
    row = session.get(Case, body["id"])
    assert "13900001111" not in row.reporter_phone_enc
    assert get_crypto().decrypt(row.reporter_phone_enc) == "13900001111"


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"reporter": {"name": "张三", "phone": "12345"}}, "reporter.phone_invalid"),
        ({"reporter": {"name": "张三", "phone": "1381234567"}}, "reporter.phone_invalid"),
        (
            {
                "reporter": {
                    "name": "张三",
                    "phone": "13812345678",
                    "id_number": "110105194912310021",
                }
            },
            "reporter.id_number_invalid",
        ),
        (
            {
                "reporter": {
                    "type": "enterprise",
                    "name": "张三",
                    "phone": "13812345678",
                    "org_name": "某公司",
                    "credit_code": "91350100M000100Y42",
                }
            },
            "reporter.credit_code_invalid",
        ),
        (
            {"reporter": {"type": "enterprise", "name": "张三", "phone": "13812345678"}},
            "reporter.enterprise_incomplete",
        ),
        ({"description": "   "}, "case.description_empty"),
        ({"title": ""}, "case.title_empty"),
        ({"matter_id": 999999}, "case.matter_not_found"),
        ({"channel": "mobile"}, "case.channel_not_allowed"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(client, org, session, override, code):
    clerk = as_user(client, "clerk")
    before = (_count(session), _count(session, CaseEvent))
    r = client.post("/api/v1/cases", json=case_payload(**override), headers=clerk.headers)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code
    assert r.headers["content-type"] == "application/problem+json"
    assert (_count(session), _count(session, CaseEvent)) == before


@pytest.mark.parametrize(
    "override",
    [
        {"kind": "gossip"},
        {"channel": "fax"},
        {"colour": "red"},
        {"reporter": {"name": "张三", "phone": "13812345678", "age": 3}},
    ],
)
def test_malformed_payload_is_422(client, org, session, override):
    clerk = as_user(client, "clerk")
    before = _count(session)
    r = client.post("/api/v1/cases", json=case_payload(**override), headers=clerk.headers)
    assert r.status_code == 422 and r.json()["code"] == "request.malformed"
    assert _count(session) == before


def test_idempotent_creation(client, org, session):
    clerk = as_user(client, "clerk")
    h = {**clerk.headers, "Idempotency-Key": "form-7f3a"}
    r1 = client.post("/api/v1/cases", json=case_payload(), headers=h)
    r2 = client.post("/api/v1/cases", json=case_payload(), headers=h)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["number"] == r2.json()["number"]
    assert r2.headers["Idempotent-Replayed"] == "true"
    assert _count(session) == 1
    r3 = client.post("/api/v1/cases", json=case_payload(title="另一件事"), headers=h)
    assert r3.status_code == 409 and r3.json()["code"] == "idempotency.key_reused"
    assert _count(session) == 1


def test_numbers_are_consecutive(client, org):
    clerk = as_user(client, "clerk")
    numbers = [clerk.create()["number"] for _ in range(3)]
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


def _statements_of(connection, call):
    """The SQL statements ``call`` sends, first word and table, in order."""
    from sqlalchemy import event

    seen: list[str] = []

    def hook(_conn, _cur, statement, _params, _ctx, _many):
        words = statement.split()
        table = {"INSERT": 2, "UPDATE": 1, "DELETE": 2}.get(words[0])
        if table is None:  # SELECT ... FROM table
            table = words.index("FROM") + 1 if "FROM" in words else 0
        seen.append(f"{words[0]} {words[table]}")

    event.listen(connection, "before_cursor_execute", hook)
    try:
        result = call()
    finally:
        event.remove(connection, "before_cursor_execute", hook)
    return result, seen


# Written from the counter's UPDATE to the commit: what a registration does while every
# other registration of the jurisdiction waits for the counter row.
UNDER_THE_COUNTER = [
    "UPDATE case_number_counters",
    "UPDATE cases",
    "INSERT case_access_tokens",
    "INSERT outbox_messages",
    "SELECT audit_chain_heads",
    "INSERT operation_logs",
    "UPDATE audit_chain_heads",
]


def test_number_is_taken_last(client, org, connection, session):
    clerk = as_user(client, "clerk")
    clerk.create()  # warm: the clerk's token, the policies, the templates are read once
    r, seen = _statements_of(
        connection,
        lambda: client.post("/api/v1/cases", json=case_payload(), headers=clerk.headers),
    )
    assert r.status_code == 201
    body = r.json()
    assert body["version"] == 1
    stored = session.get(Case, body["id"])
    assert stored is not None and (stored.number, stored.seq) == (
        body["number"],
        int(body["number"].rsplit("-", 1)[1]),
    )
    written = [x for x in seen if not x.startswith(("SAVEPOINT", "RELEASE"))]
    first = written.index("UPDATE case_number_counters")
    assert written.index("INSERT cases") < first
    assert written.index("INSERT case_events") < first
    assert written[first:] == UNDER_THE_COUNTER


def test_a_rolled_back_registration_gives_its_number_back(session, org, settings):
    from bancheng.cases import service
    from bancheng.cases.schemas import CaseCreate
    from tests.conftest import principal_of

    p = principal_of(session, org, "clerk")
    data = CaseCreate.model_validate(case_payload())
    first, _ = service.create_case(session, settings, p, data, number_late=True)
    assert first.number.startswith("~") and first.seq < 0  # provisional until numbered
    session.rollback()
    second, _ = service.create_case(session, settings, p, data, number_late=True)
    session.commit()
    third, _ = service.create_case(session, settings, p, data)
    assert int(third.number.rsplit("-", 1)[1]) == second.seq + 1
    assert not second.number.startswith("~")
    assert session.scalar(select(func.count()).where(Case.number.like("~%"))) == 0


def _seed_ledger(client, org):
    clerk = as_user(client, "clerk")
    a = clerk.create(title="公积金提取难", kind="cannot_do", channel="window")
    b = clerk.create(
        title="不动产证办理慢",
        kind="complaint",
        channel="hotline",
        blocker_type="system_failure",
        difficulty="hard",
    )
    c = clerk.create(
        title="社保转移咨询",
        kind="consultation",
        channel="transfer_12345",
        description="咨询跨省社保转移流程",
    )
    clerk.act(b["id"], "dispatch", department_id=org.id("estate"))
    return clerk, a, b, c


def test_ledger_filters_sort_and_pages(client, org):
    _, a, b, c = _seed_ledger(client, org)

    def ids(query):
        r = client.get("/api/v1/cases" + query)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids("?sort=number&order=asc") == [a["id"], b["id"], c["id"]]
    assert ids("?state=dispatched") == [b["id"]]
    assert ids("?state=registered,dispatched&sort=number&order=asc") == [a["id"], b["id"], c["id"]]
    assert ids("?channel=hotline") == [b["id"]]
    assert ids("?kind=consultation") == [c["id"]]
    assert ids("?difficulty=hard") == [b["id"]]
    assert ids("?blocker_type=system_failure") == [b["id"]]
    assert ids(f"?department_id={org.id('estate')}") == [b["id"]]
    assert ids(f"?department_id={org.id('city')}&sort=number&order=asc") == [
        a["id"],
        b["id"],
        c["id"],
    ]
    assert ids("?q=社保转移") == [c["id"]]
    assert ids(f"?q={b['number']}") == [b["id"]]
    assert ids("?q=%25") == []
    page = client.get("/api/v1/cases?page_size=2&page=2&sort=number&order=asc").json()
    assert page["total"] == 3 and [i["id"] for i in page["items"]] == [c["id"]]
    assert page["items"][0]["reporter_phone"] == "138****5678"
    today = datetime.fromisoformat(a["registered_at"]).astimezone(SHANGHAI).date()
    assert sorted(ids(f"?date_from={today}&date_to={today}")) == [a["id"], b["id"], c["id"]]
    tomorrow = today + timedelta(days=1)
    assert ids(f"?date_from={tomorrow}") == []
    assert sorted(ids(f"?date_to={today - timedelta(days=1)}")) == []


def test_ledger_refuses_bad_and_unknown_parameters(client, org):
    as_user(client, "clerk")
    r = client.get("/api/v1/cases?page_size=201")
    assert r.status_code == 400 and r.json()["code"] == "request.invalid_filter"
    r = client.get("/api/v1/cases?state=lost")
    assert r.status_code == 400 and r.json()["code"] == "request.invalid_filter"
    r = client.get("/api/v1/cases?data_scope=all")
    assert r.status_code == 400 and r.json()["code"] == "request.unknown_parameter"
    assert r.json()["parameters"] == ["data_scope"]


def test_reveal_is_logged_and_limited_by_role(client, org, session):
    from bancheng.audit.models import OperationLog

    clerk = as_user(client, "clerk")
    case = clerk.create()
    r = client.post(f"/api/v1/cases/{case['id']}/reveal", headers=clerk.headers)
    assert r.status_code == 200
    assert r.json()["reporter"]["phone"] == "13812345678"
    assert r.json()["reporter"]["id_number"] == "11010519491231002X"
    logs = session.scalars(select(OperationLog).where(OperationLog.action == "case.reveal_pii"))
    assert [(lg.actor_name, lg.object_id) for lg in logs] == [("clerk", str(case["id"]))]
    leader = as_user(client, "leader")
    r = client.post(f"/api/v1/cases/{case['id']}/reveal", headers=leader.headers)
    assert r.status_code == 403


def test_lookup_by_phone(client, org):
    clerk = as_user(client, "clerk")
    a = clerk.create()
    clerk.create(reporter={"name": "王五", "phone": "13900000000"})
    r = client.get("/api/v1/cases/by-phone", params={"phone": "138-1234-5678"})
    assert [c["id"] for c in r.json()] == [a["id"]]


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_attachments_upload_list_download(client, org, session, settings):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    r = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        headers=clerk.headers,
        files={"file": ("现场照片.jpg", _jpeg_with_gps(), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    att = r.json()
    assert (att["media_type"], att["width"], att["height"]) == ("image/jpeg", 40, 30)
    listed = client.get(f"/api/v1/cases/{case['id']}/attachments").json()
    assert [a["id"] for a in listed] == [att["id"]]
    got = client.get(f"/api/v1/cases/{case['id']}/attachments/{att['id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(got.content)).getexif().get(0x8825) is None
    tl = client.get(f"/api/v1/cases/{case['id']}/timeline").json()
    assert tl[-1]["action"] == "attach"


def test_disguised_upload_refused_and_nothing_written(client, org, session):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    before = _count(session, Attachment)
    r = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        headers=clerk.headers,
        files={"file": ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg")},
    )
    assert r.status_code == 400 and r.json()["code"] == "attachment.type_not_allowed"
    assert _count(session, Attachment) == before


def test_attachment_limits(client, org, session, settings, monkeypatch):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    monkeypatch.setattr(settings, "attachment_max_count", 1)
    monkeypatch.setattr(settings, "attachment_max_bytes", 2000)
    big = Image.new("RGB", (400, 400))
    import os

    big.frombytes(os.urandom(400 * 400 * 3))
    buf = io.BytesIO()
    big.save(buf, "PNG")
    r = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        headers=clerk.headers,
        files={"file": ("big.png", buf.getvalue(), "image/png")},
    )
    assert r.status_code == 413 and r.json()["code"] == "attachment.too_large"
    small = io.BytesIO()
    Image.new("RGB", (4, 4)).save(small, "PNG")
    ok = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        headers=clerk.headers,
        files={"file": ("a.png", small.getvalue(), "image/png")},
    )
    assert ok.status_code == 201
    r = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        headers=clerk.headers,
        files={"file": ("b.png", small.getvalue(), "image/png")},
    )
    assert r.status_code == 400 and r.json()["code"] == "attachment.too_many"
    assert _count(session, Attachment) == 1
