"""Cases embedded in a systemic issue, a meeting (and its minutes) or an order are shown
only when the caller may see them: the case-scope rule, not the container's."""

from __future__ import annotations

import io

from docx import Document

from tests.cases.helpers import as_user
from tests.supervision.helpers import at, decision, hold_meeting, link_cases, open_issue


def test_a_district_handler_sees_only_their_cases_inside_shared_objects(client, org, session):
    at(2026, 3, 2)
    inside = as_user(client, "clerk_a").create(title="甲区公积金材料问题")
    outside = as_user(client, "clerk").create(title="市级公积金材料问题")
    sup = as_user(client, "supervisor")
    iid = open_issue(client, sup.headers, title="公积金材料重复提交", root_cause="指南要求重复材料")
    r = link_cases(client, sup.headers, iid, [inside["id"], outside["id"]])
    assert r.status_code == 200, r.text
    r = hold_meeting(
        client,
        sup.headers,
        [org.id("distA"), org.id("fund")],
        [inside["id"], outside["id"]],
        [decision("甲区调取共享材料", org.id("distA"), 5)],
        title="材料互认联席会议",
        summary="研究重复提交材料问题。",
    )
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    both = {inside["number"], outside["number"]}
    assert {c["number"] for c in r.json()["cases"]} == both  # the supervisor sees both

    as_user(client, "handler_a")
    issue = client.get(f"/api/v1/supervision/systemic-issues/{iid}").json()
    assert [c["number"] for c in issue["cases"]] == [inside["number"]]
    meeting = client.get(f"/api/v1/supervision/meetings/{mid}").json()
    assert [c["number"] for c in meeting["cases"]] == [inside["number"]]
    listed = client.get("/api/v1/supervision/meetings").json()
    assert [[c["number"] for c in m["cases"]] for m in listed] == [[inside["number"]]]
    r = client.get(f"/api/v1/supervision/meetings/{mid}/minutes.docx")
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert inside["number"] in text
    assert outside["number"] not in text and "市级公积金材料问题" not in text
    # The out-of-scope case itself is still "missing" for them.
    assert client.get(f"/api/v1/cases/{outside['id']}").status_code == 404
