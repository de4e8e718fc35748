"""The console pages of outward messages (issue #15): the deliveries page with its attempt
log and retry, message templates, webhook subscriptions, and a member of staff's own
notification settings, in a real browser against a real server and delivery worker."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Console, Server, SignIn, window_case
from tests.e2e.test_console import field

pytestmark = pytest.mark.e2e


CASE = window_case(
    "cannot_do",
    "不动产登记窗口要求重复提交已上传的材料",
    "办理不动产转移登记时，窗口要求再次提交网上已经上传过的身份证明材料。",
    "赵六",
    "13800002222",
)

# Codes of the API that must never reach the screen (labels are Chinese).
RAW_CODES = re.compile(
    r"reporter\.\w+|staff\.\w+|notice\.\w+|webhook\.\w+|case\.created|order\.closed"
    r"|\b(pending|sending|sent|dead|inapp|sms|email)\b"
)


def _no_raw_codes(page: Any) -> None:
    text = page.locator(".el-main").inner_text()
    found = sorted(set(m.group(0) for m in RAW_CODES.finditer(text)))
    assert not found, f"{page.url} shows raw codes: {found}"


def _wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


def _message(admin: Console, message_id: int) -> dict[str, Any]:
    return admin.api("GET", f"/api/v1/outbox/messages/{message_id}")


def _insert(server: Server, **values: Any) -> int:
    """An outbox row written straight into the server's database (as a job would)."""
    import bancheng.models  # noqa: F401  (every table, for the foreign keys)
    from bancheng.core import clock
    from bancheng.core.db import Database
    from bancheng.outbox.models import OutboxMessage

    # The live server's own database (a subprocess): what is written here must commit.
    db = Database(f"sqlite:///{server.data_dir / 'bancheng.db'}")
    try:
        with db.transaction(True) as s:
            now = clock.now()
            defaults: dict[str, Any] = {
                "idempotency_key": f"e2e:{values['kind']}:{time.time_ns()}",
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            msg = OutboxMessage(**{**defaults, **values})
            s.add(msg)
            s.flush()
            return int(msg.id)
    finally:
        db.dispose()


def _dead_email(server: Server) -> int:
    """A staff e-mail with one allowed attempt: the e2e server has no SMTP server, so the
    real worker's first attempt fails and the message is dead."""
    return _insert(
        server,
        channel="email",
        kind="staff.light_red",
        recipient="lead@example.gov.cn",
        recipient_masked="lead@example.gov.cn",
        subject="已超期：E2E-1",
        payload={
            "subject": "已超期：{number}",
            "text": "案件{number}已超期。",
            "params": {"number": "E2E-1"},
        },
        max_attempts=1,
    )


def test_deliveries_show_a_sent_sms_and_retry_a_dead_email(
    sign_in: SignIn, server: Server, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    case = clerk.api("POST", "/api/v1/cases", CASE)
    admin = sign_in("admin")

    # The registration queued the reporter's 受理告知 SMS; the worker sends it (log provider).
    def sent_sms() -> dict[str, Any] | None:
        page = admin.api("GET", f"/api/v1/outbox/messages?case_id={case['id']}&kind=reporter.")
        rows = [m for m in page["items"] if m["kind"] == "reporter.accepted"]
        return rows[0] if rows and rows[0]["state"] == "sent" else None

    sms = _wait_for(sent_sms, "the acceptance SMS to be sent")
    assert sms["channel"] == "sms"
    assert sms["recipient_masked"] == "138****2222"

    dead_id = _dead_email(server)
    dead = _wait_for(
        lambda: (m := _message(admin, dead_id))["state"] == "dead" and m, "the e-mail to die"
    )
    assert len(dead["attempts_log"]) == 1
    assert dead["attempts_log"][0]["ok"] is False
    assert dead["last_error"].startswith("SMTP is not configured")

    page = admin.goto("/admin/deliveries")
    table = page.locator("[data-test=deliveries-table]")
    row = table.locator(".el-table__row", has_text=f"#{sms['id']}")
    expect(row.locator("[data-test=channel]")).to_have_text("短信")
    expect(row.locator("[data-test=kind]")).to_have_text("受理告知")
    expect(row.locator("[data-test=state]")).to_have_text("已送达")
    expect(row).to_contain_text("138****2222")
    expect(row.locator("[data-test=retry]")).to_have_count(0)
    dead_row = table.locator(".el-table__row", has_text=f"#{dead_id}")
    expect(dead_row.locator("[data-test=state]")).to_have_text("发送失败")
    expect(dead_row.locator("[data-test=kind]")).to_have_text("红灯超期")
    expect(dead_row).to_contain_text("未配置邮件服务器")
    expect(dead_row).to_contain_text("1/1")
    _no_raw_codes(page)
    admin.shot(screenshots, "30-deliveries")

    # Filter by state: only failed messages.
    page.locator("[data-test=filter-state]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="发送失败").first.click()
    expect(table.locator(".el-table__row", has_text=f"#{sms['id']}")).to_have_count(0)
    expect(dead_row).to_be_visible()

    # The drawer: the attempt log, then 重试.
    dead_row.locator("td").first.click()
    drawer = page.locator("[data-test=delivery-detail]")
    expect(drawer.locator("[data-test=detail-state]")).to_have_text("发送失败")
    expect(drawer.locator("[data-test=attempts] .el-timeline-item")).to_have_count(1)
    expect(drawer.locator("[data-test=attempts]")).to_contain_text("未配置邮件服务器")
    expect(drawer.locator("[data-test=preview]")).to_have_text("案件E2E-1已超期。")
    admin.shot(screenshots, "31-delivery-detail", full_page=False)
    drawer.locator("[data-test=detail-retry]").click()
    expect(page.locator(".el-message--success", has_text="已重新排队发送")).to_be_visible()

    # Back in the queue with a fresh budget; the worker tries again at once and, still
    # without SMTP, it dies again: two failed attempts in the log.
    again = _wait_for(
        lambda: len((m := _message(admin, dead_id))["attempts_log"]) == 2 and m,
        "the second attempt",
    )
    assert again["state"] == "dead"
    assert [a["ok"] for a in again["attempts_log"]] == [False, False]
    ops = admin.api("GET", f"/api/v1/audit/operations?action=outbox.retry&object_id={dead_id}")
    assert ops["total"] == 1

    # A supervisor reads the deliveries (outbox.read) but cannot send again (outbox.manage).
    supervisor = sign_in("supervisor")
    page = supervisor.goto("/admin/deliveries")
    table = page.locator("[data-test=deliveries-table]")
    expect(table.locator(".el-table__row", has_text=f"#{dead_id}")).to_be_visible()
    expect(table.locator("[data-test=retry]")).to_have_count(0)
    _no_raw_codes(page)


def test_edit_and_reset_a_template(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    admin = sign_in("admin")
    page = admin.goto("/admin/templates")
    table = page.locator("[data-test=templates-table]")
    row = table.locator(".el-table__row", has_text="评价期结束")
    expect(row).to_contain_text("群众")
    expect(row).to_contain_text("默认")
    _no_raw_codes(page)
    admin.shot(screenshots, "32-templates")

    row.locator("[data-test=edit]").click()
    form = page.locator("[data-test=template-form]")
    body = field(form, "template-body-input")
    # A variable the kind does not have: the server refuses it, in Chinese, at the field.
    body.fill("您的诉求{number}评价期已结束{foo}")
    expect(form).to_contain_text("未列出的变量：{foo}")
    page.locator("[data-test=template-save]").click()
    expect(form.locator(".el-form-item__error")).to_have_text(
        "模板中有未知变量：{foo}，请只使用列出的变量"
    )
    text = "您的诉求{number}评价期已结束，感谢您对政务服务工作的支持。"
    body.fill(text)
    expect(form.locator("[data-test=template-preview]")).to_have_text(
        "您的诉求【案件编号】评价期已结束，感谢您对政务服务工作的支持。"
    )
    admin.shot(screenshots, "33-template-edit", full_page=False)
    page.locator("[data-test=template-save]").click()
    expect(page.locator(".el-message--success", has_text="模板已保存")).to_be_visible()
    expect(row.locator("[data-test=template-body]")).to_have_text(text)
    expect(row).to_contain_text("已修改")

    saved = {t["kind"]: t for t in admin.api("GET", "/api/v1/notify/templates")}
    assert saved["reporter.rating_closed"]["body"] == text
    assert saved["reporter.rating_closed"]["customised"] is True

    row.locator("[data-test=reset]").click()
    page.locator(".el-message-box").get_by_role("button", name="恢复默认").click()
    expect(page.locator(".el-message--success", has_text="已恢复默认模板")).to_be_visible()
    expect(row).to_contain_text("默认")
    fresh = {t["kind"]: t for t in admin.api("GET", "/api/v1/notify/templates")}
    assert fresh["reporter.rating_closed"]["customised"] is False
    assert fresh["reporter.rating_closed"]["body"] == (
        "您的诉求{number}评价期已结束，已按规定归档。如有意见可拨打12345。"
    )


def test_create_a_webhook_subscription_and_disable_it(
    sign_in: SignIn, server: Server, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    admin = sign_in("admin")
    page = admin.goto("/admin/webhooks")
    page.locator("[data-test=new-webhook]").click()
    form = page.locator("[data-test=webhook-form]")
    field(form, "webhook-name").fill("E2E 事件中心")
    # A private address is refused by the server's SSRF guard, next to the field.
    field(form, "webhook-url").fill("http://127.0.0.1:9/hook")
    form.locator("[data-test=webhook-events]").get_by_text("督办单办结", exact=True).click()
    page.locator("[data-test=webhook-save]").click()
    expect(form.locator(".el-form-item__error")).to_have_text(
        "只能使用 http(s) 公网地址，不能使用本机或内网地址"
    )
    # A public address (literal, so no DNS is needed); an event no other test causes.
    url = "https://203.0.114.10/bancheng/e2e-hook"
    field(form, "webhook-url").fill(url)
    page.locator("[data-test=webhook-save]").click()

    dialog = page.locator(".el-dialog:visible", has_text="请保存签名密钥")
    secret = field(dialog, "webhook-secret")
    expect(secret).to_have_value(re.compile(r"^whsec_\S{16,}$"))
    admin.shot(screenshots, "34-webhook-secret", full_page=False)
    dialog.get_by_role("button", name="我已保存").click()
    expect(dialog).to_be_hidden()

    subs = [s for s in admin.api("GET", "/api/v1/notify/webhooks") if s["url"] == url]
    assert len(subs) == 1
    sub = subs[0]
    assert sub["event_types"] == ["order.closed"]
    assert sub["name"] == "E2E 事件中心"
    assert sub["active"] is True
    row = page.locator("[data-test=webhooks-table] .el-table__row", has_text=url)
    expect(row).to_contain_text("督办单办结")
    _no_raw_codes(page)
    admin.shot(screenshots, "35-webhooks")

    row.locator("[data-test=toggle]").click()
    expect(page.locator(".el-message--success", has_text="已停用")).to_be_visible()
    after = {s["id"]: s for s in admin.api("GET", "/api/v1/notify/webhooks")}
    assert after[sub["id"]]["active"] is False

    # A failed delivery of this subscription (written as the worker leaves one): its
    # deliveries open from the row; 重放 is offered, and refused in Chinese, for the
    # subscription is off now. Nothing new is queued.
    failed = _insert(
        server,
        channel="webhook",
        kind="webhook.order.closed",
        recipient=url,
        recipient_masked=url,
        subscription_id=sub["id"],
        payload={"body": {"type": "order.closed", "data": {}}, "webhook_id": "evt_e2e"},
        state="dead",
        attempts=1,
        max_attempts=8,
        last_error="HTTP 503: unavailable",
    )
    row.get_by_role("button", name="投递记录").click()
    page.wait_for_url(re.compile(rf"/admin/deliveries\?subscription_id={sub['id']}$"))
    table = page.locator("[data-test=deliveries-table]")
    expect(table.locator(".el-table__row")).to_have_count(1)
    dead_row = table.locator(".el-table__row", has_text=f"#{failed}")
    expect(dead_row.locator("[data-test=kind]")).to_have_text("事件推送：督办单办结")
    expect(dead_row.locator("[data-test=channel]")).to_have_text("Webhook")
    expect(dead_row).to_contain_text("对方返回错误（HTTP 503）")
    _no_raw_codes(page)
    dead_row.locator("[data-test=replay]").click()
    expect(page.locator(".el-message--error", has_text="该订阅已停用")).to_be_visible()
    listed = admin.api("GET", f"/api/v1/outbox/messages?subscription_id={sub['id']}")
    assert [m["id"] for m in listed["items"]] == [failed]


def test_handler_chooses_e_mail_for_a_kind(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    handler = sign_in("handler_gjj")
    page = handler.page
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=menu-notifications]").click()
    page.wait_for_url(re.compile(r"/profile/notifications$"))
    table = page.locator("[data-test=prefs-table]")
    expect(table.locator("[data-test=pref-kind]")).to_have_count(11)
    _no_raw_codes(page)

    box = table.locator('[data-test="pref-staff.extension_decided-email"]')
    field(page, "prefs-email").fill("")
    box.click()
    page.locator("[data-test=prefs-save]").click()
    expect(page.locator("[data-test=prefs-form] .el-form-item__error")).to_have_text(
        "选择了邮件接收，请先填写电子邮箱"
    )
    field(page, "prefs-email").fill("handler@example.gov.cn")
    expect(page.locator("[data-test=prefs-form] .el-form-item__error")).to_have_count(0)
    page.locator("[data-test=prefs-save]").click()
    expect(page.locator(".el-message--success", has_text="通知设置已保存")).to_be_visible()
    handler.shot(screenshots, "36-my-notifications")

    try:
        prefs = handler.api("GET", "/api/v1/auth/me/notifications")
        by_kind = {k["kind"]: k["channels"] for k in prefs["kinds"]}
        assert prefs["email"] == "handler@example.gov.cn"
        assert by_kind["staff.extension_decided"] == ["inapp", "email"]
        assert by_kind["staff.light_yellow"] == ["inapp"]
        page.reload()
        expect(field(page, "prefs-email")).to_have_value("handler@example.gov.cn")
        expect(box.locator("input")).to_be_checked()
    finally:
        # Other tests' extension decisions must not queue e-mails for this handler.
        handler.api(
            "PUT",
            "/api/v1/auth/me/notifications",
            {"email": "", "kinds": {"staff.extension_decided": ["inapp"]}},
        )
