"""Systemic issues: before/after volumes on a constructed history; matter materials."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from sqlalchemy import update

from bancheng.cases.models import Case
from bancheng.org.models import Matter
from tests.cases.helpers import as_user
from tests.supervision.helpers import ISSUES, at, link_cases, open_issue, record_change

# Registration months of the linked cases: 4, 5, 3 a month before the change (2026-04-10),
# one case in April itself, then 1, 0, 2 after it.
HISTORY = {"2026-01": 4, "2026-02": 5, "2026-03": 3, "2026-04": 1, "2026-05": 1, "2026-07": 2}


def test_volumes_before_and_after_a_change(client, org, session):
    clerk = as_user(client, "clerk")
    ids = []
    for month, n in HISTORY.items():
        y, m = (int(x) for x in month.split("-"))
        for k in range(n):
            c = clerk.create(
                title=f"公积金提取材料问题{month}-{k}", matter_id=org.matters["fund"].id
            )
            session.execute(
                update(Case)
                .where(Case.id == c["id"])
                .values(registered_at=datetime(y, m, 1 + k, 1, tzinfo=UTC))
            )
            ids.append(c["id"])
    unrelated = clerk.create(title="别的事")
    session.commit()

    at(2026, 8, 15)
    sup = as_user(client, "supervisor")
    iid = open_issue(
        client,
        sup.headers,
        title="购房提取公积金材料重复提交",
        root_cause="办事指南要求提供不动产登记部门已掌握的材料",
        matter_id=org.matters["fund"].id,
    )
    r = link_cases(client, sup.headers, iid, ids)
    assert r.json()["case_count"] == 16
    r = record_change(
        client,
        sup.headers,
        iid,
        type="service_guide_revised",
        changed_on="2026-04-10",
        owner="王科长",
        owner_department_id=org.id("fund"),
        description="办事指南删除购房合同，改为部门间共享核验",
        materials=["身份证", "银行卡"],
    )
    assert r.status_code == 201, r.text
    assert r.json()["previous_materials"] == ["身份证", "购房合同"]

    v = client.get(f"{ISSUES}/{iid}/volumes").json()
    assert v["months"] == [{"month": m, "count": n} for m, n in HISTORY.items()]
    ch = v["changes"][0]
    assert ch["before"] == [
        {"month": "2026-01", "count": 4},
        {"month": "2026-02", "count": 5},
        {"month": "2026-03", "count": 3},
    ]
    assert ch["after"] == [
        {"month": "2026-05", "count": 1},
        {"month": "2026-06", "count": 0},
        {"month": "2026-07", "count": 2},
    ]
    assert (ch["avg_before"], ch["avg_after"], ch["change_pct"]) == (4.0, 1.0, -75.0)
    # By matter: the unrelated case is not linked, so the figures are the same.
    v2 = client.get(
        f"{ISSUES}/{iid}/volumes",
        params={"matter_id": org.matters["fund"].id, "window": 2},
    ).json()
    assert (v2["changes"][0]["avg_before"], v2["changes"][0]["avg_after"]) == (4.0, 0.5)
    assert unrelated

    # The matter follows the revised guide, and shows its systemic issue.
    session.expire_all()
    assert session.get(Matter, org.matters["fund"].id).materials == ["身份证", "银行卡"]
    links = client.get(f"/api/v1/supervision/matters/{org.matters['fund'].id}").json()
    assert links["materials"] == ["身份证", "银行卡"]
    assert [i["title"] for i in links["systemic_issues"]] == ["购房提取公积金材料重复提交"]

    r = client.get(f"{ISSUES}/report.docx", params={"month": "2026-04"})
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "本月完成整改 1 项" in text
    assert "整改前月均 4.0 件，整改后月均 1.0 件" in text


def test_materials_only_with_a_guide_revision(client, org):
    sup = as_user(client, "supervisor")
    fund = org.matters["fund"].id
    iid = open_issue(client, sup.headers, title="系统故障", root_cause="接口超时", matter_id=fund)
    r = record_change(
        client,
        sup.headers,
        iid,
        type="system_fixed",
        changed_on="2026-04-10",
        owner="信息科",
        description="修复接口",
        materials=["身份证"],
    )
    assert (r.status_code, r.json()["code"]) == (400, "systemic.materials_only_for_guide")


def _reporter(i: int) -> dict[str, str]:
    return {"type": "person", "name": f"群众{i}", "phone": f"1391234{i:04d}"}


def test_suggestions_group_similar_cases_of_the_callers_scope_only(client, org, session):
    fund = "购房提取公积金被要求重复提交购房合同原件"
    centre = as_user(client, "clerk")
    city_ids = [
        centre.create(title=fund, description=f"{fund}，第{i}次来办。", reporter=_reporter(i))["id"]
        for i in range(3)
    ]
    centre.create(
        title="不动产登记窗口排队太久",
        description="周一上午取号后等了三个小时，窗口只开了两个。",
        reporter=_reporter(9),
    )
    district = as_user(client, "clerk_a")
    district_ids = [
        district.create(
            title=fund, description=f"{fund}，区里第{i}次。", reporter=_reporter(20 + i)
        )["id"]
        for i in range(3)
    ]
    session.commit()

    url = "/api/v1/supervision/systemic-issues/suggestions"
    sup = as_user(client, "supervisor")
    r = client.get(url, headers=sup.headers)
    assert r.status_code == 200, r.text
    [group] = r.json()
    assert sorted(group["case_ids"]) == sorted(city_ids + district_ids)
    assert group["size"] == 6 and group["label"] == fund and group["titles"] == [fund]

    sup_a = as_user(client, "supervisor_a")
    r = client.get(url, headers=sup_a.headers)
    assert r.status_code == 200, r.text
    assert [sorted(g["case_ids"]) for g in r.json()] == [sorted(district_ids)]
