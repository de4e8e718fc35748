"""The input rules every request obeys (``core/inputs.py``) and the database refusals
that are the client's fault: stable 4xx codes, nothing written. Each case here is one a
fuzz run (``test_fuzz.py``) once answered with a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import case_payload, login
from tests.integrations.test_open311 import BASE, _form


def _cases(session) -> int:
    from bancheng.cases.models import Case

    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def _problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code, body
    return body


def test_integers_beyond_64_bits_are_refused_in_paths_queries_and_bodies(client, org, session):
    headers = login(client, "supervisor")
    _problem(
        client.post(f"/api/v1/supervision/orders/{2**64}/close", json={}, headers=headers),
        422,
        "request.integer_out_of_range",
    )
    r = client.get("/api/v1/cases", params={"department_id": str(2**63)})
    assert r.status_code in (400, 422), r.text
    r = client.get(f"/api/v1/cases/{-(2**63) - 1}")
    assert _problem(r, 422, "request.integer_out_of_range")["field"] == "case_id"

    headers = login(client, "clerk")
    before = _cases(session)
    r = client.post("/api/v1/cases", json=case_payload(matter_id=10**20), headers=headers)
    assert _problem(r, 422, "request.integer_out_of_range")["field"] == "data.matter_id"
    assert _cases(session) == before


def test_the_largest_64_bit_integer_is_just_not_found(client, org):
    login(client, "supervisor")
    assert client.get(f"/api/v1/cases/{2**63 - 1}").status_code == 404


def test_nul_and_lone_surrogates_are_refused_everywhere(client, org, session):
    headers = login(client, "clerk")
    before = _cases(session)
    r = client.post("/api/v1/cases", json=case_payload(title="公积金\x00提取"), headers=headers)
    assert _problem(r, 422, "request.invalid_character")["field"] == "data.title"
    # A lone surrogate, as JSON spells it (Python's json module lets it through).
    body = '{"channel": "window", "title": "\\ud800", "description": "x"}'
    r = client.post(
        "/api/v1/cases",
        content=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] in ("request.invalid_character", "request.malformed")
    assert _cases(session) == before
    r = client.get("/api/v1/cases?q=a%00b")  # the ledger's filter, a model of the query
    assert _problem(r, 422, "request.invalid_character")["field"] == "f.q"
    _problem(
        client.get("/api/v1/cases/by-phone", params={"phone": "138\x0012345678"}),
        422,
        "request.invalid_character",
    )


def test_non_ascii_digits_are_not_numbers(client, org):
    login(client, "supervisor")
    # int("١٢") is 12 in Python; in a path or a query it is malformed.
    _problem(client.get("/api/v1/cases/١٢"), 422, "request.malformed")
    _problem(client.get("/api/v1/cases/１２"), 422, "request.malformed")
    _problem(
        client.get("/api/v1/insights/assessment", params={"key": "٢٠٢٥-٠١"}),
        422,
        "request.malformed",
    )
    r = client.get("/api/v1/cases", headers={"Authorization": "Bearer bct_١٢".encode()})
    _problem(r, 401, "auth.token_invalid")


def test_impossible_dates_and_months(client, org):
    login(client, "supervisor")
    for path, params in (
        ("/api/v1/supervision/systemic-issues/report.docx", {"month": "0000-01"}),
        ("/api/v1/supervision/systemic-issues/report.docx", {"month": "2025-13"}),
        ("/api/v1/insights/assessment", {"key": "2025-00"}),
        ("/api/v1/insights/daily-summary", {"day": "2025-02-30"}),
    ):
        _problem(client.get(path, params=params), 422, "request.malformed")
    r = client.get("/api/v1/insights/daily-summary", params={"day": "9999-12-31"})
    assert _problem(r, 422, "request.date_out_of_range")["field"] == "day"


def test_explicit_null_for_a_required_column_is_422(client, org, session):
    headers = login(client, "admin")
    dept = org.depts["fund"]
    r = client.patch(f"/api/v1/admin/departments/{dept.id}", json={"active": None}, headers=headers)
    _problem(r, 422, "request.null_not_allowed")
    session.expire_all()
    assert session.get(type(dept), dept.id).active is True


def test_405_names_the_allowed_methods(client, org):
    r = client.delete("/api/v1/cases")
    _problem(r, 405, "method_not_allowed")
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    r = client.put("/api/v1/cases/1/timeline")
    _problem(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"


def test_adding_a_hall_and_a_window_answers_with_the_hall(client, org):
    headers = login(client, "admin")
    r = client.post(
        "/api/v1/admin/halls",
        json={"department_id": org.id("centre"), "name": "二楼大厅", "address": "人民路1号"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["windows"] == []
    hall_id = r.json()["id"]
    r = client.post(
        f"/api/v1/admin/halls/{hall_id}/windows",
        json={"number": "02", "name": "综合窗口"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert [w["number"] for w in r.json()["windows"]] == ["02"]


def test_every_operation_declares_its_problem_answers(client):
    schema = client.app.openapi()
    assert "Problem" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("400", "401", "403", "404", "409", "422", "429", "503"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)


def test_open311_reads_raw_input_under_the_same_rules(client, org, session):
    from bancheng.org.auth import create_api_token

    _, api_key = create_api_token(session, org.users["clerk"], "市民App", ["open311.submit"], 30)
    session.commit()
    # An instant that overflows once a day or a time zone is taken off it.
    for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00"):
        r = client.get(f"{BASE}/requests.json", params={"end_date": moment})
        assert (r.status_code, r.json()[0]["error"]) == (400, "open311.date_invalid"), r.text
    r = client.get(f"{BASE}/requests.json", params={"service_code": "HF\x00001"})
    assert (r.status_code, r.json()[0]["error"]) == (400, "request.invalid_character")
    before = _cases(session)
    r = client.post(f"{BASE}/requests.json", data=_form(api_key, description="公积金\x00提取"))
    assert (r.status_code, r.json()[0]["error"]) == (400, "request.invalid_character")
    assert _cases(session) == before


def test_control_characters_never_reach_a_report(client, org, session):
    """A stored control character once broke the monthly .docx report (XML refuses it)."""
    from bancheng.supervision.models import SystemicIssue

    headers = login(client, "supervisor")
    for bad in ("公积金\x01", "\x1f", "\ufffe"):
        r = client.post(
            "/api/v1/supervision/systemic-issues",
            json={"title": f"材料重复提交{bad}", "root_cause": "系统不互通"},
            headers=headers,
        )
        assert _problem(r, 422, "request.invalid_character")["field"] == "body.title"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SystemicIssue)) == 0
    r = client.post(
        "/api/v1/supervision/systemic-issues",
        json={"title": "材料重复提交", "root_cause": "系统不互通\n\t两个部门各自要求"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/supervision/systemic-issues/report.docx", params={"month": "2026-12"})
    assert r.status_code == 200, r.text


def test_a_value_beyond_a_32_bit_column_is_refused_or_kept_never_a_500(client, org, session):
    """PostgreSQL's ``integer`` holds 32 bits (SQLite's holds 64): its DataError is the
    client's value, answered 422 with nothing changed."""
    headers = login(client, "admin")
    dept = org.depts["fund"]
    r = client.patch(f"/api/v1/admin/departments/{dept.id}", json={"sort": 2**40}, headers=headers)
    session.expire_all()
    if session.get_bind().dialect.name == "postgresql":
        _problem(r, 422, "request.value_not_storable")
        assert session.get(type(dept), dept.id).sort != 2**40
    else:
        assert r.status_code == 200, r.text


def test_text_stored_before_the_rules_does_not_break_the_report(client, org, session):
    import io

    from docx import Document

    from bancheng.supervision.models import SystemicIssue

    headers = login(client, "supervisor")
    r = client.post(
        "/api/v1/supervision/systemic-issues",
        json={"title": "材料重复提交", "root_cause": "系统不互通"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    session.expire_all()
    issue = session.get(SystemicIssue, r.json()["id"])
    issue.title, issue.root_cause = "材料\x01重复提交", "系统\x0b不互通"
    session.commit()
    r = client.get("/api/v1/supervision/systemic-issues/report.docx", params={"month": "2026-12"})
    assert r.status_code == 200, r.text
    text = [p.text for p in Document(io.BytesIO(r.content)).paragraphs]
    assert "材料重复提交" in text and "根源：系统不互通" in text
