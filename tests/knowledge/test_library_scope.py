"""The case library keeps the data scope: a draft (not yet anonymised for publication) is
seen only by a curator who may see the case it was drawn from; out of scope it looks
missing, in lists, searches and by id, and nothing about it can be changed. A published
entry is for everyone who reads the library."""

from __future__ import annotations

from sqlalchemy import select, update

from bancheng.cases.models import Case
from bancheng.knowledge.models import LibraryCase
from tests.cases.helpers import as_user


def _resolved(client, session, **over):
    c = as_user(client, "clerk").create(**over)
    session.execute(
        update(Case).where(Case.id == c["id"]).values(state="resolved", resolution="已解决")
    )
    session.commit()
    return c


def test_a_draft_is_seen_only_within_the_source_cases_scope(client, org, session):
    c = _resolved(client, session, title="城外密件：市级公积金案件")
    sup = as_user(client, "supervisor")  # city-wide curator
    r = client.post("/api/v1/knowledge/cases", json={"case_id": c["id"]}, headers=sup.headers)
    assert r.status_code == 201, r.text
    lid = r.json()["id"]
    assert client.get(f"/api/v1/knowledge/cases/{lid}", headers=sup.headers).status_code == 200

    district = as_user(client, "supervisor_a")  # a district's curator: the case is not theirs
    assert client.get(f"/api/v1/cases/{c['id']}").status_code == 404
    listed = client.get("/api/v1/knowledge/cases").json()
    assert lid not in [x["id"] for x in listed]
    searched = client.get("/api/v1/knowledge/cases", params={"q": "城外密件"}).json()
    assert searched == []
    one = client.get(f"/api/v1/knowledge/cases/{lid}")
    assert (one.status_code, one.json()["code"]) == (404, "knowledge.not_found")
    r = client.post(f"/api/v1/knowledge/cases/{lid}/publish", headers=district.headers)
    assert (r.status_code, r.json()["code"]) == (404, "knowledge.not_found")
    session.expire_all()
    assert session.scalar(select(LibraryCase.status).where(LibraryCase.id == lid)) == "draft"

    # Published by the city, the anonymised entry is for every reader of the library.
    sup.use()
    r = client.patch(
        f"/api/v1/knowledge/cases/{lid}",
        json={"stuck_point": "材料要求重复", "solution": "一次性告知所需材料"},
        headers=sup.headers,
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/knowledge/cases/{lid}/publish", headers=sup.headers)
    assert r.status_code == 200, r.text
    district.use()
    assert client.get(f"/api/v1/knowledge/cases/{lid}").status_code == 200
    assert lid in [x["id"] for x in client.get("/api/v1/knowledge/cases").json()]
