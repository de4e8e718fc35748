"""Routing in the running system: suggestions, automatic dispatch above the threshold,
similar cases in scope, duplicate links, configuration and hot issues."""

from __future__ import annotations

import pytest

from tests.cases.helpers import as_user
from tests.conftest import login

SOCIAL = {
    "title": "关于社保缴费基数调整的咨询",
    "description": "我单位职工的社会保险缴费基数如何调整，养老保险和医疗保险缴费比例是多少",
}
NOISE = {
    "title": "小区旁边工地夜间施工噪音扰民",
    "description": "某某小区旁边的建筑工地每天晚上十一点后还在施工，噪音严重影响居民休息",
}


pytestmark = pytest.mark.usefixtures("fresh_index")


def _map(client, org):
    h = login(client, "admin")
    r = client.put(
        "/api/v1/routing/targets",
        headers=h,
        json=[
            {"category": "劳动和社会保障", "department_id": org.id("hrss")},
            {"category": "城乡建设", "department_id": org.id("estate")},
        ],
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_targets_configuration(client, org):
    assert _map(client, org) == [
        {
            "category": "劳动和社会保障",
            "department_id": org.id("hrss"),
            "department_name": "市人社局",
        },
        {
            "category": "城乡建设",
            "department_id": org.id("estate"),
            "department_name": "市不动产登记中心",
        },
    ]
    h = login(client, "admin")
    r = client.put(
        "/api/v1/routing/targets",
        headers=h,
        json=[{"category": "外星事务", "department_id": org.id("hrss")}],
    )
    assert r.status_code == 400 and r.json()["code"] == "routing.unknown_category"


def test_suggest_ranks_departments(client, org):
    _map(client, org)
    clerk = as_user(client, "clerk")
    r = client.post("/api/v1/routing/suggest", headers=clerk.headers, json=SOCIAL)
    body = r.json()
    assert body["ranked"][0]["category"] == "劳动和社会保障"
    assert body["ranked"][0]["department_id"] == org.id("hrss")
    assert body["auto_dispatch"] is True and body["department_id"] == org.id("hrss")
    assert body["unit_source"] == "category"
    assert body["units"][0]["department_id"] == org.id("hrss")
    assert body["units"][0]["department_name"] == "市人社局"
    assert body["unit_confidence"] == body["ranked"][0]["confidence"]
    r = client.post(
        "/api/v1/routing/suggest",
        headers=clerk.headers,
        json={**SOCIAL, "matter_id": org.matters["fund"].id},
    )
    assert r.json()["auto_dispatch"] is False
    assert r.json()["department_id"] == org.id("fund")


def test_confident_case_is_dispatched_automatically(client, org):
    _map(client, org)
    clerk = as_user(client, "clerk")
    c = clerk.create(**SOCIAL)
    assert c["state"] == "dispatched" and c["current_department"]["id"] == org.id("hrss")
    tl = client.get(f"/api/v1/cases/{c['id']}/timeline").json()
    assert tl[-1]["action"] == "dispatch" and tl[-1]["reason"].startswith(
        "自动派单：劳动和社会保障"
    )
    unsure = clerk.create(**NOISE)
    assert unsure["state"] == "registered"  # below the threshold: the clerk chooses


def test_no_automatic_dispatch_without_configuration(client, org):
    clerk = as_user(client, "clerk")
    assert clerk.create(**SOCIAL)["state"] == "registered"


def test_similar_cases_duplicates_and_scope(client, org):
    clerk_a = as_user(client, "clerk_a")
    first = clerk_a.create(**NOISE)
    clerk = as_user(client, "clerk")
    city = clerk.create(**NOISE)
    clerk.create(**SOCIAL)
    second = clerk_a.use().create(title="工地夜间施工噪音扰民", description=NOISE["description"])
    r = client.get(f"/api/v1/cases/{second['id']}/similar")
    sims = r.json()
    assert [s["id"] for s in sims] == [first["id"]]  # the city case is outside district A
    assert sims[0]["possible_duplicate"] is True and sims[0]["score"] > 0.5
    r = client.post(
        f"/api/v1/cases/{second['id']}/links",
        headers=clerk_a.headers,
        json={"other_case_id": first["id"]},
    )
    assert r.status_code == 201 and r.json() == [
        {"case_id": first["id"], "number": first["number"]}
    ]
    r = client.post(
        f"/api/v1/cases/{second['id']}/links",
        headers=clerk_a.headers,
        json={"other_case_id": city["id"]},
    )
    assert r.status_code == 404
    back = client.get(f"/api/v1/cases/{first['id']}/links").json()
    assert back == [{"case_id": second["id"], "number": second["number"]}]


def test_hot_issues_cluster_repeated_reports(client, org):
    clerk = as_user(client, "clerk")
    phones = ["13800000001", "13800000002", "13800000003", "13800000004"]
    for i, phone in enumerate(phones):
        clerk.create(
            title=f"幸福家园小区物业乱收停车费{i}",
            description="幸福家园小区物业公司擅自上调停车费，业主多次反映无果，请求查处",
            reporter={"name": "业主", "phone": phone},
        )
    clerk.create(**SOCIAL)
    r = client.get("/api/v1/routing/hot-issues")
    issues = r.json()
    assert len(issues) == 1
    assert (issues[0]["reports"], issues[0]["reporters"]) == (4, 4)
