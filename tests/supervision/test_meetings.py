"""Joint meetings: decisions need a unit and a deadline; lights; minutes as .docx."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import func, select

from bancheng.cases.models import CaseEvent
from bancheng.supervision.models import Meeting, MeetingCase, MeetingDecision
from tests.cases.helpers import as_user
from tests.supervision.helpers import at, decision, hold_meeting, register_cases


def _counts(session):
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(m))
        for m in (Meeting, MeetingCase, MeetingDecision, CaseEvent)
    )


def test_decision_without_unit_or_deadline_is_refused_and_nothing_written(client, org, session):
    c = as_user(client, "clerk").create()
    sup = as_user(client, "supervisor")
    before = _counts(session)
    for bad, missing in (
        ({"content": "互认材料"}, ["responsible_department_id", "deadline_workdays"]),
        ({"content": "互认材料", "deadline_workdays": 5}, ["responsible_department_id"]),
        (
            {"content": "互认材料", "responsible_department_id": org.id("fund")},
            ["deadline_workdays"],
        ),
    ):
        ok = decision("先行", org.id("fund"), 3)
        units = [org.id("fund"), org.id("estate")]
        r = hold_meeting(client, sup.headers, units, [c["id"]], [ok, bad])
        assert r.status_code == 400, r.text
        body = r.json()
        assert (body["code"], body["index"], body["fields"]) == (
            "supervision.decision_incomplete",
            1,
            missing,
        )
    assert _counts(session) == before


def test_meeting_from_two_cases_with_lights_and_minutes(client, org, session):
    at(2026, 3, 2)
    c1, c2 = register_cases(
        client, "clerk", "公积金提取被要求重复提交材料", "不动产登记与公积金材料不互认"
    )
    sup = as_user(client, "supervisor")
    r = hold_meeting(
        client,
        sup.headers,
        [org.id("fund"), org.id("estate")],
        [c1["id"], c2["id"]],
        [
            decision("公积金中心直接调取不动产登记信息，不再要求群众提供", org.id("fund"), 5),
            decision("不动产登记中心开放查询接口", org.id("estate"), 1),
        ],
    )
    assert r.status_code == 201, r.text
    m = r.json()
    assert [c["id"] for c in m["cases"]] == [c1["id"], c2["id"]]
    assert [(d["due_date"], d["light"]) for d in m["decisions"]] == [
        ("2026-03-09", "green"),
        ("2026-03-03", "yellow"),
    ]
    timeline = client.get(f"/api/v1/cases/{c1['id']}/timeline").json()
    assert "joint_meeting" in [e["action"] for e in timeline]

    at(2026, 3, 4)
    as_user(client, "supervisor")
    got = client.get(f"/api/v1/supervision/meetings/{m['id']}").json()
    assert [d["light"] for d in got["decisions"]] == ["green", "red"]
    assert len(client.get(f"/api/v1/cases/{c2['id']}/meetings").json()) == 1

    r = client.get(f"/api/v1/supervision/meetings/{m['id']}/minutes.docx")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "联席会议纪要" in text and "公积金提取材料互认联席会议" in text
    assert "参会单位：市住房公积金管理中心、市不动产登记中心" in text
    assert "公积金中心直接调取不动产登记信息，不再要求群众提供" in cells
    assert "市不动产登记中心" in cells and "2026-03-09（5个工作日）" in cells

    # The responsible unit finishes its decision.
    h = as_user(client, "handler_estate")
    d2 = m["decisions"][1]["id"]
    r = client.post(
        f"/api/v1/supervision/meetings/{m['id']}/decisions/{d2}/done",
        json={"note": "接口已开放"},
        headers=h.headers,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["light"]) == ("done", None)
