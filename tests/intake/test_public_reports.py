"""The citizen's side through the API: report, photos, follow, evaluate; identical 404s."""

from __future__ import annotations

import io
from functools import partial
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from bancheng.cases.models import Attachment, Case
from tests.cases.helpers import as_user
from tests.conftest import payload


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


REPORT: dict[str, Any] = {
    "kind": "cannot_do",
    "description": "办理公积金提取时被要求反复提交材料，跑了三趟还没办成。",
    "name": "李四",
    "phone": "13900001111",
}


report_body = partial(payload, REPORT)


def report(client, **over: Any) -> dict[str, Any]:
    client.cookies.clear()
    r = client.post("/api/v1/public/reports", json=report_body(**over))
    assert r.status_code == 201, r.text
    return r.json()


def rate(client, out: dict[str, Any], **body: Any) -> Any:
    """The reporter of ``out`` (``report``'s answer) rates the case with its token."""
    client.cookies.clear()
    return client.post(
        f"/api/v1/public/cases/{out['number']}/evaluation",
        params={"token": out["token"]},
        json=body,
    )


def drive_to_feedback(client, org, number: str) -> int:
    case_id = _case_id(client, number)
    clerk = as_user(client, "clerk")
    clerk.act(case_id, "dispatch", department_id=org.id("fund"))
    as_user(client, "handler_fund").handle(
        case_id,
        "已一次性告知并办结（内部备注：张科长处理）",
        "请携带身份证和购房合同到3号窗口办理",
        notification_materials=["身份证", "购房合同"],
    )
    client.cookies.clear()
    return case_id


def _case_id(client, number: str) -> int:
    from bancheng.core import deps

    assert deps.session_factory is not None
    s = deps.session_factory(False)
    try:
        return int(s.scalar(select(Case.id).where(Case.number == number)))
    finally:
        s.close()


def test_report_follow_with_token_and_phone(client, org, session):
    out = report(client, hall_id=org.hall.id, window_id=org.window.id, staff=1)
    assert out["number"].startswith("BC-") and out["token"] and out["due_date"]
    case = session.scalar(select(Case).where(Case.number == out["number"]))
    assert case.channel == "mobile" and case.first_receipt_user_id is None
    assert case.first_receipt_department_id == org.id("centre")  # the hall's unit
    r = client.get(f"/api/v1/public/cases/{out['number']}", params={"token": out["token"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "registered" and body["timeline"][0]["department"] == "市政务服务中心"
    r2 = client.get(
        f"/api/v1/public/cases/{out['number']}", headers={"X-Reporter-Phone": "139-0000-1111"}
    )
    assert r2.status_code == 200 and r2.json()["number"] == out["number"]


def test_without_hall_the_city_centre_receives(client, org, session):
    out = report(client)
    case = session.scalar(select(Case).where(Case.number == out["number"]))
    assert case.first_receipt_department_id == org.id("centre")


def test_wrong_pairs_answer_exactly_like_not_found(client, org):
    out = report(client)
    other = report(client, phone="13700002222")
    answers = [
        client.get(
            f"/api/v1/public/cases/{out['number']}", headers={"X-Reporter-Phone": "13700002222"}
        ),
        client.get(f"/api/v1/public/cases/{out['number']}", params={"token": other["token"]}),
        client.get(f"/api/v1/public/cases/{out['number']}", params={"token": "nonsense"}),
        client.get(
            "/api/v1/public/cases/BC-2099-999999", headers={"X-Reporter-Phone": "13900001111"}
        ),
        client.get(f"/api/v1/public/cases/{out['number']}", headers={"X-Reporter-Phone": "12"}),
        client.get(f"/api/v1/public/cases/{out['number']}"),
    ]
    assert {a.status_code for a in answers} == {404}
    # Byte for byte the same once each answer's own request id (random, 32 hex) is set aside.
    ids = [a.json()["request_id"] for a in answers]
    assert len(set(ids)) == len(answers) and {len(i) for i in ids} == {32}
    assert len({a.content.replace(i.encode(), b"") for a, i in zip(answers, ids, strict=True)}) == 1
    assert answers[0].json()["code"] == "public.not_found"


def test_honeypot_answers_success_and_stores_nothing(client, org, session):
    before = session.scalar(select(func.count()).select_from(Case))
    r = client.post("/api/v1/public/reports", json=report_body(website="http://spam"))
    assert r.status_code == 201 and r.json()["number"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == before
    r = client.get(
        f"/api/v1/public/cases/{r.json()['number']}", params={"token": r.json()["token"]}
    )
    assert r.status_code == 404


def test_idempotent_retry_and_bad_input(client, org, session):
    h = {"Idempotency-Key": "k-123"}
    a = client.post("/api/v1/public/reports", json=report_body(), headers=h)
    b = client.post("/api/v1/public/reports", json=report_body(), headers=h)
    assert a.status_code == 201 and b.status_code == 201
    assert a.json()["number"] == b.json()["number"]
    r = client.post("/api/v1/public/reports", json=report_body(phone="12345"))
    assert r.status_code == 400 and r.json()["code"] == "reporter.phone_invalid"
    r = client.post("/api/v1/public/reports", json=report_body(credit_code="91110000XXXXXXXXX0"))
    assert r.status_code == 400
    r = client.post("/api/v1/public/reports", json={**report_body(), "channel": "window"})
    assert r.status_code == 422


def test_per_phone_rate_limit(client, org, settings, monkeypatch):
    monkeypatch.setattr(settings, "public_phone_limit_per_hour", 2)
    report(client)
    report(client)
    r = client.post("/api/v1/public/reports", json=report_body())
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    # another phone is not affected
    report(client, phone="13600003333")


def test_photos_images_only_and_limited(client, org, session, settings, monkeypatch):
    out = report(client)
    url = f"/api/v1/public/cases/{out['number']}/photos"
    r = client.post(
        url, params={"token": out["token"]}, files={"file": ("a.png", _png(), "image/png")}
    )
    assert r.status_code == 201, r.text
    r = client.post(url, params={"token": "bad"}, files={"file": ("a.png", _png(), "image/png")})
    assert r.status_code == 404
    r = client.post(
        url, params={"token": out["token"]}, files={"file": ("x.jpg", b"<script>", "image/jpeg")}
    )
    assert r.status_code == 400
    monkeypatch.setattr(settings, "attachment_max_count", 2)
    assert (
        client.post(
            url, params={"token": out["token"]}, files={"file": ("b.png", _png())}
        ).status_code
        == 201
    )
    r = client.post(url, params={"token": out["token"]}, files={"file": ("c.png", _png())})
    assert r.status_code == 400 and r.json()["code"] == "attachment.too_many"
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == out["number"]))
    n = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
    )
    assert n == 2


def test_public_timeline_hides_staff_and_internal_events(client, org):
    out = report(client)
    drive_to_feedback(client, org, out["number"])
    body = client.get(
        f"/api/v1/public/cases/{out['number']}", params={"token": out["token"]}
    ).json()
    text = str(body)
    for staff in ("clerk", "handler_fund", "张科长"):
        assert staff not in text
    assert body["can_rate"] and body["notification_materials"] == ["身份证", "购房合同"]
    depts = {e["department"] for e in body["timeline"]}
    assert "市住房公积金管理中心" in depts
    assert set(body["timeline"][0]) == {"at", "action", "label", "department"}


def test_status_page_shows_title_and_what_to_supply_while_suspended(client, org):
    out = report(client, title="公积金提取办不成")
    case_id = _case_id(client, out["number"])
    as_user(client, "clerk").act(case_id, "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    h.act(case_id, "accept")
    h.act(case_id, "suspend", reason="请补交购房合同原件和复印件")
    client.cookies.clear()
    url = f"/api/v1/public/cases/{out['number']}"
    body = client.get(url, params={"token": out["token"]}).json()
    assert (body["title"], body["state_label"]) == ("公积金提取办不成", "已挂起(补正)")
    assert body["supplement_request"] == "请补交购房合同原件和复印件"
    assert [e["label"] for e in body["timeline"]] == ["已受理", "派单", "签收", "挂起待补正"]
    h = as_user(client, "handler_fund")
    h.act(case_id, "resume")
    client.cookies.clear()
    assert client.get(url, params={"token": out["token"]}).json()["supplement_request"] is None


def test_no_endpoint_leaks_another_reporters_data(client, org):
    mine = report(client, name="王五", phone="13500005555", description="我的诉求：社保转移")
    theirs = report(client, name="赵六", phone="13300006666", description="别人的诉求：不动产登记")
    drive_to_feedback(client, org, theirs["number"])
    probes = [
        client.get(f"/api/v1/public/cases/{theirs['number']}", params={"token": mine["token"]}),
        client.get(
            f"/api/v1/public/cases/{theirs['number']}", headers={"X-Reporter-Phone": "13500005555"}
        ),
        client.post(
            f"/api/v1/public/cases/{theirs['number']}/evaluation",
            params={"token": mine["token"]},
            json={"rating": "very_dissatisfied"},
        ),
        client.post(
            f"/api/v1/public/cases/{theirs['number']}/photos",
            params={"token": mine["token"]},
            files={"file": ("a.png", _png())},
        ),
    ]
    for p in probes:
        assert p.status_code == 404
        assert "赵六" not in p.text and "不动产" not in p.text and theirs["number"] not in p.text
    own = client.get(f"/api/v1/public/cases/{mine['number']}", params={"token": mine["token"]})
    assert "赵六" not in own.text and "13500005555" not in own.text


def test_evaluation_rounds(client, org, session):
    out = report(client)
    case_id = drive_to_feedback(client, org, out["number"])
    url = f"/api/v1/public/cases/{out['number']}/evaluation"
    r = rate(
        client, out, rating="very_dissatisfied", timeliness=1, attitude=2, result=1,
        comment="没解决", bad_reasons=["result_unsatisfied"],
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "evaluated" and not r.json()["can_rate"]
    again = client.post(url, params={"token": out["token"]}, json={"rating": "satisfied"})
    assert again.status_code == 409
    # rectification: reopen and handle again
    clerk = as_user(client, "clerk")
    clerk.act(case_id, "reopen", reason="群众不满意，重办")
    clerk.act(case_id, "dispatch", department_id=org.id("fund"))
    as_user(client, "handler_fund").handle(case_id, "已办结", "已为您办理完毕")
    client.cookies.clear()
    body = client.get(
        f"/api/v1/public/cases/{out['number']}", params={"token": out["token"]}
    ).json()
    assert body["can_rate"] and body["round"] == 2
    r = client.post(
        url, headers={"X-Reporter-Phone": "13900001111"}, json={"rating": "very_satisfied"}
    )
    assert r.status_code == 200 and r.json()["rating"] == "very_satisfied"
    from bancheng.feedback.models import Evaluation

    rows = session.scalars(
        select(Evaluation).where(Evaluation.case_id == case_id).order_by(Evaluation.round)
    ).all()
    assert [(e.round, e.rating, e.source) for e in rows] == [
        (1, "very_dissatisfied", "public"),
        (2, "very_satisfied", "public"),
    ]
    assert rows[0].timeliness == 1 and rows[0].comment == "没解决"


def test_evaluation_validation(client, org):
    out = report(client)
    url = f"/api/v1/public/cases/{out['number']}/evaluation"
    r = client.post(
        url, params={"token": out["token"]}, json={"rating": "satisfied", "attitude": 6}
    )
    assert r.status_code == 422
    r = client.post(url, params={"token": out["token"]}, json={"rating": "satisfied"})
    assert r.status_code == 409 and r.json()["code"] == "feedback.not_ratable"


def _pdf() -> bytes:
    from tests.cases.test_files import minimal_pdf

    return minimal_pdf()


def test_a_refused_public_upload_leaves_no_file(client, org, session, settings):
    out = report(client)
    url = f"/api/v1/public/cases/{out['number']}/photos"
    root = settings.attachments_dir
    before = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    r = client.post(url, params={"token": out["token"]}, files={"file": ("a.pdf", _pdf())})
    assert (r.status_code, r.json()["code"]) == (400, "attachment.type_not_allowed")
    after = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    assert after == before
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == out["number"]))
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert case is not None


def test_public_photos_count_toward_the_case_limit(client, org, session, settings, monkeypatch):
    out = report(client)
    case = session.scalar(select(Case).where(Case.number == out["number"]))
    monkeypatch.setattr(settings, "attachment_max_count", 2)
    url = f"/api/v1/public/cases/{out['number']}/photos"
    r = client.post(url, params={"token": out["token"]}, files={"file": ("a.png", _png())})
    assert r.status_code == 201, r.text
    clerk = as_user(client, "supervisor")
    r = client.post(
        f"/api/v1/cases/{case.id}/attachments",
        headers=clerk.headers,
        files={"file": ("b.pdf", _pdf(), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    client.cookies.clear()
    r = client.post(url, params={"token": out["token"]}, files={"file": ("c.png", _png())})
    assert (r.status_code, r.json()["code"]) == (400, "attachment.too_many")
    session.expire_all()
    n = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
    )
    assert n == 2
