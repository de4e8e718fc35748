"""Reply templates: the administrator's snippets per action and case kind, refused
variables and actions (nothing written), and the per-case filling the action dialogs use."""

from __future__ import annotations

from sqlalchemy import func, select

from bancheng.cases.models import Case
from bancheng.feedback.models import ReplyTemplate
from bancheng.feedback.replies import VARIABLES
from tests.cases.helpers import as_user
from tests.supervision.helpers import at

URL = "/api/v1/admin/reply-templates"


def _count(session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(ReplyTemplate)) or 0)


def test_admin_creates_edits_and_deletes(client, org, session):
    admin = as_user(client, "admin")
    h = admin.headers
    listed = client.get(URL).json()
    assert listed["templates"] == []
    assert [v["name"] for v in listed["variables"]] == list(VARIABLES)
    assert (listed["actions"]["resolve"], listed["actions"]["return"]) == ("办结", "退回")

    r = client.post(
        URL,
        json={
            "action": "resolve",
            "kind": "cannot_do",
            "title": "办结告知",
            "body": "您反映的{案件编号}已由{办理单位}办结。",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert (r.json()["kind"], r.json()["active"]) == ("cannot_do", True)

    for body, code in [
        ({"action": "resolve", "title": "x", "body": "{编号}"}, "reply_template.variable_unknown"),
        ({"action": "fly", "title": "x", "body": "好"}, "reply_template.action_unknown"),
    ]:
        bad = client.post(URL, json=body, headers=h)
        assert (bad.status_code, bad.json()["code"]) == (400, code)
    assert client.post(
        URL, json={"action": "resolve", "title": "x", "body": "{编号}"}, headers=h
    ).json()["variables"] == ["编号"]
    assert _count(session) == 1

    r = client.patch(
        f"{URL}/{tid}", json={"body": "{今天}：{标题}已办结", "active": False}, headers=h
    )
    assert r.status_code == 200, r.text
    assert (r.json()["body"], r.json()["active"], r.json()["title"]) == (
        "{今天}：{标题}已办结",
        False,
        "办结告知",
    )
    r = client.patch(f"{URL}/{tid}", json={"body": "{未知}"}, headers=h)
    assert r.json()["code"] == "reply_template.variable_unknown"
    session.expire_all()
    assert session.get(ReplyTemplate, tid).body == "{今天}：{标题}已办结"

    assert client.delete(f"{URL}/{tid}", headers=h).status_code == 204
    r = client.delete(f"{URL}/{tid}", headers=h)
    assert (r.status_code, r.json()["code"]) == (404, "reply_template.not_found")
    assert _count(session) == 0


def test_only_admin_manages_them(client, org, session):
    sup = as_user(client, "supervisor")
    r = client.post(
        URL, json={"action": "resolve", "title": "x", "body": "好"}, headers=sup.headers
    )
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    assert client.get(URL).status_code == 403
    assert _count(session) == 0


def test_the_dialog_gets_them_filled_for_the_case(client, org, session):
    at(2026, 3, 2)
    admin = as_user(client, "admin")
    for action, kind, title, body, active in [
        (
            "resolve",
            None,
            "通用办结",
            "{案件编号}（{标题}）已由{办理单位}办结，期限{办结期限}。",
            True,
        ),
        (
            "resolve",
            "cannot_do",
            "办不成事办结",
            "{反映人}您好，{诉求类型}事项{事项名称}已办成。",
            True,
        ),
        ("resolve", "complaint", "投诉办结", "投诉已核实。", True),
        ("resolve", None, "停用的", "不应出现", False),
        ("return", None, "退回", "{首接单位}受理于{受理日期}，非本单位职责。", True),
    ]:
        r = client.post(
            URL,
            json={"action": action, "kind": kind, "title": title, "body": body, "active": active},
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
    clerk = as_user(client, "clerk")
    case = clerk.create(title="公积金提取", matter_id=org.matters["fund"].id)
    row = session.get(Case, case["id"])
    assert row.kind == "cannot_do"
    got = client.get(f"/api/v1/cases/{case['id']}/reply-templates", params={"action": "resolve"})
    assert got.status_code == 200, got.text
    assert [(t["title"], t["text"]) for t in got.json()] == [
        ("办不成事办结", f"{row.reporter_name}您好，办不成事事项住房公积金提取已办成。"),
        (
            "通用办结",
            f"{row.number}（公积金提取）已由市政务服务中心办结，期限{row.due_date.isoformat()}。",
        ),
    ]
    back = client.get(f"/api/v1/cases/{case['id']}/reply-templates", params={"action": "return"})
    assert [t["text"] for t in back.json()] == ["市政务服务中心受理于2026-03-02，非本单位职责。"]
    # out of the caller's scope: like a missing case
    as_user(client, "clerk_a")
    r = client.get(f"/api/v1/cases/{case['id']}/reply-templates", params={"action": "resolve"})
    assert (r.status_code, r.json()["code"]) == (404, "case.not_found")
