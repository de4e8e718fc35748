"""The operation log shows what an entry means in Chinese, never its code."""

from __future__ import annotations

from bancheng.audit.labels import object_label, operation_label
from tests.cases.helpers import as_user


def test_operation_labels():
    assert operation_label("case.dispatch") == "案件：派单"
    assert operation_label("case.reveal_pii") == "查看反映人完整信息"
    assert operation_label("GET /api/v1/cases/7") == "查看 /api/v1/cases/7"
    assert operation_label("dispatch.import") == "导入派单目录"
    assert operation_label("brand.new") == "其他操作"
    assert (object_label("case"), object_label(None), object_label("x")) == ("案件", "", "其他对象")


def test_log_api_carries_the_labels(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    as_user(client, "admin")
    items = client.get("/api/v1/audit/operations", params={"action": "case.dispatch"}).json()[
        "items"
    ]
    assert [(i["action_label"], i["object_label"]) for i in items] == [("案件：派单", "案件")]
