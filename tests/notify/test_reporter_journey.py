"""Done when: a reporter on the demo who registers from the phone page receives the
acceptance, the materials request, the resolution and the rating link, in order, by SMS
(here a local server that checks Alibaba Cloud's signature); the rating link works."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

from PIL import Image
from sqlalchemy import func, select

from bancheng import demo
from bancheng.cases.models import Case
from bancheng.notify.models import Notice
from bancheng.org.models import User
from bancheng.outbox.models import OutboxMessage
from tests.cases.helpers import as_user
from tests.conftest import TEST_PASSWORD
from tests.intake.test_public_reports import report
from tests.outbox.sinks import HttpSink
from tests.outbox.test_sms_channels import AK_SECRET, aliyun_check, aliyun_settings

CODES = {
    "reporter.accepted": "SMS_1001",
    "reporter.dispatched": "SMS_1002",
    "reporter.materials": "SMS_1003",
    "reporter.resolved": "SMS_1004",
    "reporter.rating_invite": "SMS_1005",
}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def test_reporter_hears_every_step_in_order(client, session, settings, deliver):
    demo.load_demo(session, settings, password=TEST_PASSWORD, n_cases=25, seed=7)
    session.commit()
    admin = as_user(client, "admin")
    for kind, code in CODES.items():
        t = next(x for x in client.get("/api/v1/notify/templates").json() if x["kind"] == kind)
        r = client.put(
            f"/api/v1/notify/templates/{kind}",
            json={"subject": t["subject"], "body": t["body"], "sms_aliyun_code": code},
            headers=admin.headers,
        )
        assert r.status_code == 200, r.text
    # The demo's history told no one anything.
    assert (
        session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.channel != "inapp")
        )
        == 0
    )

    number = report(
        client,
        description="公积金提取被要求补交材料，跑了三趟还没办成。",
        name="王五",
        phone="13700001234",
    )["number"]
    case = session.scalar(select(Case).where(Case.number == number))
    handler = session.scalar(select(User).where(User.username == "handler_gjj"))

    clerk = as_user(client, "clerk")
    clerk.act(case.id, "dispatch", department_id=handler.department_id)
    h = as_user(client, "handler_gjj")
    h.act(case.id, "accept")
    h.act(case.id, "start")
    h.act(case.id, "suspend", reason="身份证复印件、购房合同原件照片")

    received: list[dict[str, str]] = []

    def respond(req):
        ok, params = aliyun_check(req, AK_SECRET)
        assert ok
        received.append(params)
        return 200, json.dumps({"Code": "OK", "BizId": f"biz{len(received)}"}).encode()

    with HttpSink(respond) as sink:
        conf = aliyun_settings(settings, sink.url, "云川市政务服务中心")
        assert deliver(conf)["sent"] == 3
        # The materials request's link lets the reporter upload a photo; the handler hears.
        link = json.loads(received[2]["TemplateParam"])["link"]
        token = parse_qs(urlsplit(link).query)["t"][0]
        client.cookies.clear()
        r = client.post(
            f"/api/v1/public/cases/{number}/photos?token={token}",
            files={"file": ("id.png", _png(), "image/png")},
        )
        assert r.status_code == 201, r.text
        note = session.scalar(
            select(Notice).where(Notice.user_id == handler.id, Notice.kind == "material_uploaded")
        )
        assert note is not None and note.title == f"补正材料已上传：{number}"

        h = as_user(client, "handler_gjj")
        h.act(case.id, "resume")
        h.act(case.id, "resolve", outcome="done", resolution="已办结")
        h.act(
            case.id,
            "give_feedback",
            notification_text="公积金已提取到账",
            notification_materials=["身份证"],
        )
        assert deliver(conf)["sent"] == 2

    assert [p["TemplateCode"] for p in received] == list(CODES.values())
    assert {p["PhoneNumbers"] for p in received} == {"13700001234"}
    params = [json.loads(p["TemplateParam"]) for p in received]
    # BANCHENG_PUBLIC_BASE_URL (empty in tests) goes before the path.
    assert params[0]["number"] == number
    assert params[0]["link"].startswith(f"/m/status?no={number}&t=")
    assert params[1] == {
        "number": number,
        "unit": "云川市住房公积金管理中心",
        "deadline": params[1]["deadline"],
    }
    assert params[2]["materials"] == "身份证复印件、购房合同原件照片"
    assert params[3] == {"number": number, "notification": "公积金已提取到账（所需材料：身份证）"}
    # The rating link opens the case for rating.
    token = parse_qs(urlsplit(params[4]["link"]).query)["t"][0]
    client.cookies.clear()
    view = client.get(f"/api/v1/public/cases/{number}?token={token}").json()
    assert (view["state"], view["can_rate"]) == ("feedback_given", True)
    # The phone stays encrypted in the outbox and masked on the deliveries page.
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).all()
    sms = [m for m in rows if m.channel == "sms"]
    assert all(
        m.recipient_masked == "137****1234" and "13700001234" not in (m.recipient_enc or "")
        for m in sms
    )
    assert all("13700001234" not in json.dumps(m.payload, ensure_ascii=False) for m in sms)
