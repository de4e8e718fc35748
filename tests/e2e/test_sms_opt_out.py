"""The reporter turns SMS about their case off on the phone status page (and on again):
the switch asks first, the server keeps the setting (``reporter_opt_out``), and the page
shows it again after a reload."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, SignIn
from tests.e2e.test_citizen import phone_page, public_report

pytestmark = pytest.mark.e2e


def test_sms_switch_on_the_status_page(
    sign_in: SignIn, server: Server, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    hall = clerk.api("GET", "/api/v1/halls")[0]
    phone = f"137{random.randint(10_000_000, 99_999_999)}"
    created = public_report(
        clerk.context.request,
        server,
        description="办理营业执照变更，窗口让回去补材料，却没说清楚要补哪些。",
        name="钱短信",
        phone=phone,
        hall_id=hall["id"],
    )
    number, token = created["number"], created["token"]

    def opted_out() -> bool:
        r = clerk.context.request.get(server.url(f"/api/v1/public/cases/{number}?token={token}"))
        assert r.ok, r.text()
        return bool(r.json()["sms_opt_out"])

    ctx, mp, errors = phone_page(browser)
    mp.goto(server.url(f"/m/status?no={number}&t={token}"))
    switch = mp.locator("[data-test=sms-switch]")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(mp.locator("[data-test=sms]")).to_contain_text("接收短信通知")

    # Turning it off asks first; 暂不关闭 leaves it on and sends nothing.
    switch.click()
    confirm = mp.locator(".van-dialog")
    expect(confirm).to_contain_text("确定关闭短信通知吗")
    mp.wait_for_timeout(400)  # the dialog's fade-in, for the screenshot
    mp.screenshot(path=str(screenshots / "mobile-10-sms-confirm.png"))
    confirm.get_by_role("button", name="暂不关闭").click()
    expect(confirm).to_be_hidden()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert opted_out() is False

    switch.click()
    confirm.get_by_role("button", name="确定关闭").click()
    expect(mp.locator(".van-toast")).to_contain_text("已关闭短信通知")
    expect(switch).to_have_attribute("aria-checked", "false")
    assert opted_out() is True
    expect(confirm).to_be_hidden()
    mp.screenshot(path=str(screenshots / "mobile-11-sms-off.png"))

    # The page reads the setting back; on again goes straight through.
    mp.reload()
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(mp.locator(".van-toast")).to_contain_text("已开启短信通知")
    expect(switch).to_have_attribute("aria-checked", "true")
    assert opted_out() is False

    # Looked up with the phone number instead of the private link: shown, not switchable.
    mp.goto(server.url(f"/m/status?no={number}"))
    mp.locator(".van-field", has_text="手机号").locator("input").fill(phone)
    mp.get_by_role("button", name="查询").click()
    expect(mp.locator("[data-test=sms]")).to_contain_text("请通过短信中的专属链接打开本页后设置")
    expect(switch).to_have_class(re.compile("van-switch--disabled"))
    expect(switch).to_have_attribute("aria-checked", "true")
    assert not errors, errors
    ctx.close()
