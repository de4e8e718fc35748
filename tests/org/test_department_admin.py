"""Creating a unit through the admin API: every field of the request is kept."""

from __future__ import annotations

from bancheng.org.models import Department
from tests.conftest import login


def test_created_department_keeps_every_field_and_hangs_under_its_parent(client, org, session):
    headers = login(client, "admin")
    parent = org.depts["distA"]
    body = {
        "code": "DA-NEW",
        "name": "甲区新设服务站",
        "short_name": "新站",
        "level": "street",
        "kind": "government",
        "parent_id": parent.id,
        "sort": 7,
    }
    r = client.post("/api/v1/admin/departments", json=body, headers=headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert {k: out[k] for k in body if k != "sort"} == {
        k: v for k, v in body.items() if k != "sort"
    }
    assert session.get(Department, out["id"]).sort == 7
    assert out["path"] == f"{parent.path}{out['id']}/"
    again = client.post("/api/v1/admin/departments", json=body, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "org.department_code_taken")
