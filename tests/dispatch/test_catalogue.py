"""The dispatch catalogue: edit, import (all rows checked before any is written), match."""

from __future__ import annotations

from sqlalchemy import func, select

from bancheng.audit.models import OperationLog
from bancheng.dispatch.models import DispatchCatalogueEntry
from tests.cases.helpers import as_user
from tests.conftest import upload_csv

IMPORT = "/api/v1/dispatch-catalogue/import"


def _entry(org, **over):
    body = {
        "matter": "住房公积金提取",
        "keywords": ["公积金", "提取"],
        "department_id": org.id("fund"),
        "co_department_ids": [org.id("estate")],
        "note": "购房提取需不动产登记信息",
    }
    body.update(over)
    return body


def test_admin_edits_the_catalogue_and_every_change_is_logged(client, org, session):
    admin = as_user(client, "admin")
    r = client.post("/api/v1/dispatch-catalogue", json=_entry(org), headers=admin.headers)
    assert r.status_code == 201, r.text
    entry = r.json()
    assert (entry["matter"], entry["keywords"], entry["co_department_ids"]) == (
        "住房公积金提取",
        ["公积金", "提取"],
        [org.id("estate")],
    )
    r = client.post("/api/v1/dispatch-catalogue", json=_entry(org), headers=admin.headers)
    assert (r.status_code, r.json()["code"]) == (409, "dispatch.matter_exists")
    r = client.put(
        f"/api/v1/dispatch-catalogue/{entry['id']}",
        json=_entry(org, co_department_ids=[org.id("fund")]),
        headers=admin.headers,
    )
    assert (r.status_code, r.json()["code"]) == (400, "dispatch.co_is_lead")
    r = client.put(
        f"/api/v1/dispatch-catalogue/{entry['id']}",
        json=_entry(org, keywords=["公积金", " 公积金 ", "住房"], co_department_ids=[]),
        headers=admin.headers,
    )
    assert r.status_code == 200
    assert (r.json()["keywords"], r.json()["co_department_ids"]) == (["公积金", "住房"], [])
    r = client.delete(f"/api/v1/dispatch-catalogue/{entry['id']}", headers=admin.headers)
    assert r.status_code == 204
    assert session.scalar(select(func.count()).select_from(DispatchCatalogueEntry)) == 0
    actions = session.scalars(
        select(OperationLog.action)
        .where(OperationLog.object_type == "dispatch_catalogue")
        .order_by(OperationLog.id)
    ).all()
    assert actions == ["dispatch.create", "dispatch.update", "dispatch.delete"]


def test_clerk_reads_but_cannot_edit(client, org, session):
    clerk = as_user(client, "clerk")
    r = client.post("/api/v1/dispatch-catalogue", json=_entry(org), headers=clerk.headers)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    assert client.get("/api/v1/dispatch-catalogue").json() == []


def test_import_checks_every_row_before_writing(client, org, session):
    admin = as_user(client, "admin")
    head = "事项,关键词,主办单位,协办单位\n公积金提取,公积金;提取,C-HF,市不动产登记中心\n"
    bad = head + "社保转移,社保,不存在的局,\n"
    r = upload_csv(client, IMPORT, admin.headers, "c.csv", bad.encode())
    assert r.status_code == 200
    assert r.json()["errors"] == [
        {"row": 3, "code": "dispatch.department_not_found", "message": "主办单位“不存在的局”不存在"}
    ]
    assert session.scalar(select(func.count()).select_from(DispatchCatalogueEntry)) == 0

    good = head + "社保转移,社保、转移,市人社局,\n"
    r = upload_csv(client, IMPORT, admin.headers, "c.csv", good.encode("gbk"), {"dry_run": "true"})
    assert (r.json()["created"], r.json()["updated"], r.json()["dry_run"]) == (2, 0, True)
    assert session.scalar(select(func.count()).select_from(DispatchCatalogueEntry)) == 0
    r = upload_csv(client, IMPORT, admin.headers, "c.csv", good.encode())
    assert (r.json()["created"], r.json()["updated"]) == (2, 0)
    r = upload_csv(client, IMPORT, admin.headers, "c.csv", good.encode())
    assert (r.json()["created"], r.json()["updated"]) == (0, 2)
    rows = {e["matter"]: e for e in client.get("/api/v1/dispatch-catalogue").json()}
    assert rows["公积金提取"]["keywords"] == ["公积金", "提取"]
    assert rows["公积金提取"]["co_department_ids"] == [org.id("estate")]
    assert rows["社保转移"]["department_id"] == org.id("hrss")

    r = upload_csv(client, IMPORT, admin.headers, "c.csv", "名称,单位\n甲,乙\n".encode())
    assert (r.status_code, r.json()["code"]) == (400, "dispatch.import_columns")


def test_match_ranks_title_hits_first(client, org, session):
    admin = as_user(client, "admin")
    client.post("/api/v1/dispatch-catalogue", json=_entry(org), headers=admin.headers)
    client.post(
        "/api/v1/dispatch-catalogue",
        json=_entry(
            org,
            matter="不动产登记",
            keywords=["房产证"],
            department_id=org.id("estate"),
            co_department_ids=[],
        ),
        headers=admin.headers,
    )
    client.post(
        "/api/v1/dispatch-catalogue",
        json=_entry(
            org, matter="停用事项", keywords=["房产证"], active=False, co_department_ids=[]
        ),
        headers=admin.headers,
    )
    handler = as_user(client, "handler_fund")
    r = client.post(
        "/api/v1/dispatch-catalogue/match",
        json={"title": "房产证办不下来", "description": "想用公积金还贷，但没有房产证"},
        headers=handler.headers,
    )
    assert r.status_code == 200
    assert [(m["matter"], m["matched"]) for m in r.json()] == [
        ("不动产登记", ["房产证"]),
        ("住房公积金提取", ["公积金"]),
    ]
