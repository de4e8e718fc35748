"""Precedents at hand (issue 17 item 7): the ledger's most similar resolved cases in the
caller's data scope, with their resolution, and the published library cases."""

from __future__ import annotations

import pytest

from tests.cases.helpers import as_user

TITLE = "公积金提取被要求重复提交购房合同"
TEXT = "办理公积金提取时每次都被要求补交购房合同原件，希望部门之间共享材料。"
RESOLUTION = "公积金中心与不动产登记中心共享购房合同数据，免交原件"


pytestmark = pytest.mark.usefixtures("fresh_index")


def _resolved_with_fund(client, org, **over):
    clerk = as_user(client, "clerk")
    case = clerk.create(title=TITLE, description=TEXT, **over)
    cid = case["id"]
    clerk.act(cid, "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    h.act(cid, "accept")
    h.act(cid, "start")
    h.act(cid, "resolve", outcome="done", resolution=RESOLUTION)
    return cid


def _publish(client, case_id):
    sup = as_user(client, "supervisor")
    r = client.post(
        "/api/v1/knowledge/cases",
        json={"case_id": case_id, "stuck_point": "部门之间材料不互认", "solution": RESOLUTION},
        headers=sup.headers,
    )
    assert r.status_code == 201, r.text
    lib = r.json()
    r = client.post(f"/api/v1/knowledge/cases/{lib['id']}/publish", headers=sup.headers)
    assert r.status_code == 200, r.text
    return lib["id"]


def test_precedents_for_a_new_and_an_open_case(client, org):
    done = _resolved_with_fund(
        client, org, blocker_type="cross_department", blocker_types=["cross_department", "legacy"]
    )
    lib_id = _publish(client, done)
    clerk = as_user(client, "clerk")
    open_case = clerk.create(title="公积金提取又被要求补交购房合同", description=TEXT)

    # A case being registered: by its text.
    r = client.get("/api/v1/knowledge/precedents", params={"title": TITLE, "description": TEXT})
    assert r.status_code == 200, r.text
    body = r.json()
    # Resolved cases only: the open one is a possible duplicate, not a precedent.
    assert [c["id"] for c in body["ledger"]] == [done]
    first = body["ledger"][0]
    assert (first["resolution"], first["outcome"], first["outcome_label"]) == (
        RESOLUTION,
        "done",
        "已办成",
    )
    assert first["blocker_types"] == ["cross_department", "legacy"]
    assert [x["id"] for x in body["library"]] == [lib_id]
    assert body["library"][0]["solution"] == RESOLUTION
    assert body["library"][0]["source_case_id"] is None  # not shown outside curation

    # An open case: by its id; the case itself is never its own precedent.
    r = client.get("/api/v1/knowledge/precedents", params={"case_id": open_case["id"]})
    assert [c["id"] for c in r.json()["ledger"]] == [done]
    r = client.get("/api/v1/knowledge/precedents", params={"case_id": done})
    assert r.json()["ledger"] == []
    assert r.json()["library"] == []  # drafted from this very case


def test_precedents_stay_within_the_data_scope(client, org):
    done = _resolved_with_fund(client, org)
    lib_id = _publish(client, done)
    # The estate unit never handled the resolved case: no ledger precedent, but the
    # published (anonymised) library case is for everyone.
    as_user(client, "handler_estate")
    r = client.get("/api/v1/knowledge/precedents", params={"title": TITLE, "description": TEXT})
    assert r.status_code == 200
    assert r.json()["ledger"] == []
    assert [x["id"] for x in r.json()["library"]] == [lib_id]
    # A case outside the scope is not found, whether or not it exists.
    r = client.get("/api/v1/knowledge/precedents", params={"case_id": done})
    assert (r.status_code, r.json()["code"]) == (404, "case.not_found")
    as_user(client, "handler_fund")
    r = client.get("/api/v1/knowledge/precedents", params={"title": TITLE, "description": TEXT})
    assert [c["id"] for c in r.json()["ledger"]] == [done]


def test_precedents_need_a_text(client, org):
    as_user(client, "clerk")
    r = client.get("/api/v1/knowledge/precedents", params={"title": "  "})
    assert (r.status_code, r.json()["code"]) == (400, "knowledge.text_required")
