"""The case library: draft from a resolved case, publish only when clean, search, precedents."""

from __future__ import annotations

from sqlalchemy import update

from bancheng.cases.models import Case
from bancheng.knowledge.models import LibraryCase
from tests.cases.helpers import as_user


def _resolved_case(client, session, **over):
    c = as_user(client, "clerk").create(**over)
    session.execute(
        update(Case)
        .where(Case.id == c["id"])
        .values(state="resolved", resolution="公积金中心与不动产登记中心共享数据，免交购房合同")
    )
    session.commit()
    return c


def test_draft_publish_search_and_precedent(client, org, session):
    c = _resolved_case(
        client,
        session,
        description="张三第三次来办理公积金提取，电话13812345678，每次被要求补交购房合同。",
    )
    sup = as_user(client, "supervisor")
    r = client.post(
        "/api/v1/knowledge/cases",
        json={
            "case_id": c["id"],
            "stuck_point": "部门之间材料不互认",
            "policy_basis": "《住房公积金管理条例》",
            "tags": ["公积金", "材料互认"],
        },
        headers=sup.headers,
    )
    assert r.status_code == 201, r.text
    lib = r.json()
    assert lib["status"] == "draft"
    assert lib["summary"] == "张某第三次来办理公积金提取，电话[电话]，每次被要求补交购房合同。"
    assert lib["findings"] == []

    # A reviewer's edit brings personal data back: publishing is refused, listing it.
    r = client.patch(
        f"/api/v1/knowledge/cases/{lib['id']}",
        json={"solution": "联系张三（13900001111）后，两部门共享数据解决"},
        headers=sup.headers,
    )
    assert r.status_code == 200
    r = client.post(f"/api/v1/knowledge/cases/{lib['id']}/publish", headers=sup.headers)
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "knowledge.personal_data_found"
    assert body["findings"] == [
        {"field": "solution", "kind": "name", "text": "张三"},
        {"field": "solution", "kind": "phone", "text": "13900001111"},
    ]
    session.expire_all()
    assert session.get(LibraryCase, lib["id"]).status == "draft"

    r = client.post(f"/api/v1/knowledge/cases/{lib['id']}/remask", headers=sup.headers)
    assert r.json()["solution"] == "联系张某（[电话]）后，两部门共享数据解决"
    r = client.post(f"/api/v1/knowledge/cases/{lib['id']}/publish", headers=sup.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"

    # Search in Chinese; handlers see published cases only.
    as_user(client, "handler_fund")
    hits = client.get("/api/v1/knowledge/cases", params={"q": "购房合同"}).json()
    assert [x["id"] for x in hits] == [lib["id"]]
    assert client.get("/api/v1/knowledge/cases", params={"q": "户籍迁移"}).json() == []
    assert (
        client.get("/api/v1/knowledge/cases", params={"tag": "材料互认"}).json()[0]["id"]
        == lib["id"]
    )

    # A new similar case gets it as precedent.
    new = as_user(client, "clerk").create(
        title="公积金提取要求补交购房合同", description="办理公积金提取时又被要求补交购房合同"
    )
    prec = client.get(f"/api/v1/cases/{new['id']}/precedents")
    assert prec.status_code == 200
    assert [x["id"] for x in prec.json()] == [lib["id"]]
    assert prec.json()[0]["score"] > 0.2


def test_only_resolved_cases_become_library_cases(client, org):
    c = as_user(client, "clerk").create()
    sup = as_user(client, "supervisor")
    r = client.post("/api/v1/knowledge/cases", json={"case_id": c["id"]}, headers=sup.headers)
    assert (r.status_code, r.json()["code"]) == (409, "knowledge.case_not_resolved")


def test_drafts_are_hidden_from_readers(client, org, session):
    c = _resolved_case(client, session)
    sup = as_user(client, "supervisor")
    lid = client.post(
        "/api/v1/knowledge/cases", json={"case_id": c["id"]}, headers=sup.headers
    ).json()["id"]
    as_user(client, "handler_fund")
    assert client.get(f"/api/v1/knowledge/cases/{lid}").json()["code"] == "knowledge.not_found"
