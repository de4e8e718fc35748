"""The citizen's loop in a real browser: report from a phone through a hall's QR link,
staff handle it, the reporter rates it "very dissatisfied", the department rectifies,
the case is redone and the reporter rates again (round 2)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Console, Server, SignIn
from tests.e2e.test_console import act, choose_department, expect_state, submit

pytestmark = pytest.mark.e2e


def make_jpeg(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (230, 236, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 600, 440), outline=(192, 57, 43), width=10)
    draw.text((80, 220), "queue ticket", fill=(20, 20, 20))
    img.save(path, "JPEG", quality=85)
    return path


def move(staff: Console, case_id: int, action: str, **fields: Any) -> dict[str, Any]:
    """One lifecycle move through the API, with the case's current version."""
    case = staff.api("GET", f"/api/v1/cases/{case_id}")
    return staff.api(
        "POST",
        f"/api/v1/cases/{case_id}/actions/{action}",
        {"version": case["version"], **fields},
    )


def public_report(request: Any, server: Server, **fields: Any) -> dict[str, Any]:
    """A report through the public API (as the phone page sends it): its number and token."""
    import json

    resp = request.post(
        server.url("/api/v1/public/reports"),
        data=json.dumps({"kind": "cannot_do", **fields}),
        headers={"Content-Type": "application/json"},
    )
    assert resp.ok, resp.text()
    return dict(resp.json())


def phone_page(browser: Any) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, errors


def van_field(page: Any, label: str) -> Any:
    return page.locator(".van-field", has_text=label).locator("input, textarea").first


def rate(page: Any, level: str, comment: str, shot: Path) -> None:
    from playwright.sync_api import expect

    form = page.locator("form", has_text="整体满意度")
    expect(form).to_be_visible()
    form.locator(".van-radio", has_text=re.compile(f"^{level}$")).click()
    if "不满意" in level:  # a bad review ticks at least one reason of the checklist
        form.locator("[data-test=bad-reasons] .van-checkbox").first.click()
    van_field(page, "意见建议").fill(comment)
    form.scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".rated")).to_contain_text(f"您的评价：{level}")


def test_report_rate_rectify_and_rate_again(
    sign_in: SignIn, server: Server, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    me = clerk.api("GET", "/api/v1/auth/me")
    halls = clerk.api("GET", "/api/v1/halls")
    hall = next((h for h in halls if h["department_id"] == me["department_id"]), halls[0])

    # The halls page offers the QR code and the printable poster.
    page = clerk.goto("/org/halls")
    page.locator(f"[data-test=hall-qr-{hall['id']}]").click()
    dialog = page.locator("[data-test=qr-dialog]")
    dialog.locator("img").wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-test=qr-dialog] img')?.naturalWidth > 0"
    )
    poster = page.locator("[data-test=qr-poster]")
    assert poster.get_attribute("href") == f"/api/v1/halls/{hall['id']}/poster.pdf"
    clerk.shot(screenshots, "20-halls-qr", full_page=False)
    resp = clerk.context.request.get(server.url(f"/api/v1/halls/{hall['id']}/poster.pdf"))
    assert resp.ok and resp.body().startswith(b"%PDF")
    page.locator(".el-dialog:visible").get_by_role("button", name="关闭", exact=True).click()

    # --- the reporter scans the hall's QR code -------------------------------------------
    ctx, mp, m_errors = phone_page(browser)
    phone = f"139{random.randint(10_000_000, 99_999_999)}"
    mp.goto(server.url(f"/m/report?hall={hall['id']}"))
    expect(mp.locator(".van-nav-bar__title")).to_have_text("掌上反映窗口")
    van_field(mp, "遇到的问题").fill("办理居住证，窗口说系统故障让改天再来，已经跑了三趟还没办成。")
    mp.locator(".van-uploader input[type=file]").set_input_files(
        str(make_jpeg(tmp_path / "排队.jpg"))
    )
    expect(mp.locator(".van-uploader__preview")).to_have_count(1)
    van_field(mp, "姓名").fill("李群众")
    van_field(mp, "手机号").fill(phone)
    mp.screenshot(path=str(screenshots / "mobile-01-report.png"), full_page=True)
    mp.get_by_role("button", name="提交", exact=True).click()
    mp.wait_for_url(re.compile(r"/m/done$"))
    number_cell = mp.locator(".van-cell", has_text="受理编号").locator(".van-cell__value")
    expect(number_cell).to_have_text(re.compile(r"^BC-\d{4}-\d{6}$"))
    number = number_cell.inner_text()
    expect(mp.locator(".warn")).to_have_count(0)  # the photo went up
    mp.screenshot(path=str(screenshots / "mobile-02-done.png"), full_page=True)
    mp.get_by_role("button", name="查看办理进度").click()
    mp.wait_for_url(re.compile(r"/m/status\?no="))
    status_url = mp.url
    expect(mp.locator(".van-cell", has_text="受理编号")).to_contain_text(number)
    mp.screenshot(path=str(screenshots / "mobile-03-status.png"), full_page=True)

    # --- staff handle it: the clerk dispatches in the console ---------------------------
    found = clerk.api("GET", f"/api/v1/cases?q={number}")
    assert found["total"] == 1
    case_id = found["items"][0]["id"]
    page = clerk.goto(f"/cases/{case_id}")
    expect(page.locator("[data-test=case-number]")).to_have_text(number)
    expect(page.locator("[data-test=attachment-images] img")).to_have_count(1)
    expect(page.locator("[data-test=receipt]")).to_have_attribute(
        "href", f"/api/v1/cases/{case_id}/receipt.pdf"
    )
    dialog = act(page, "dispatch")
    choose_department(
        page, dialog.locator("[data-test=field-department]"), "公积金", "云川市住房公积金管理中心"
    )
    submit(dialog)
    expect_state(page, "已派单")

    handler = sign_in("handler_gjj")

    def handle(text: str) -> None:
        move(handler, case_id, "accept")
        move(handler, case_id, "start")
        move(handler, case_id, "resolve", outcome="done", resolution=text)
        move(clerk, case_id, "give_feedback", notification_text=text)

    handle("已核实系统故障已修复，已电话预约，次日到窗口一次办结居住证。")

    # --- the reporter follows the private link and rates "very dissatisfied" ------------
    mp.goto(status_url)
    expect(mp.locator(".notice")).to_contain_text("系统故障已修复")
    rate(mp, "非常不满意", "预约后还是让我等了两个小时。", screenshots / "mobile-04a-rate.png")
    mp.screenshot(path=str(screenshots / "mobile-04-rated-bad.png"), full_page=True)

    # --- a rectification task for the department; the callback workbench ---------------
    rects = handler.api("GET", "/api/v1/feedback/rectifications?status=open")
    rect = next(r for r in rects if r["case_number"] == number)
    hp = handler.goto("/rectifications")
    row = hp.locator("[data-test=rectification-table] .el-table__body tr", has_text=number)
    expect(row).to_contain_text("整改中")
    expect(row.locator("[data-test^=light-]")).to_be_visible()
    handler.shot(screenshots, "21-rectifications")
    row.locator("[data-test=rect-complete]").click()
    dialog = hp.locator(".el-dialog:visible").last
    dialog.locator("[data-test=rect-text] textarea, textarea[data-test=rect-text]").first.fill(
        "已对窗口人员开展服务规范培训，预约群众到场即办。"
    )
    dialog.locator("[data-test=rect-submit]").click()
    expect(hp.locator(".el-message--success")).to_be_visible()
    done = handler.api("GET", "/api/v1/feedback/rectifications?status=done")
    assert any(r["id"] == rect["id"] for r in done)

    cp = clerk.goto("/callbacks")
    row = cp.locator("[data-test=callback-table] .el-table__body tr", has_text=number)
    expect(row).to_contain_text("差评回访")
    row.click()
    panel = cp.locator("[data-test=callback-panel]")
    expect(panel.locator("[data-test=callback-script]")).to_contain_text(number)
    expect(panel.locator("[data-test=callback-phone]")).to_have_text(
        phone[:3] + "****" + phone[-4:]
    )
    panel.locator("[data-test=callback-reveal]").click()
    cp.locator(".el-popconfirm:visible").get_by_role("button", name="查看").click()
    expect(panel.locator("[data-test=callback-phone]")).to_have_text(phone)
    panel.locator("[data-test=attempt-outcome]").get_by_text("已接通").click()
    panel.locator("[data-test=attempt-submit]").click()
    expect(panel.locator("[data-test=confirm-form]")).to_be_visible()
    panel.locator("[data-test=confirm-resolved]").get_by_text("未解决").click()
    panel.locator("[data-test=confirm-submit]").click()
    expect(panel.locator("[data-test=callback-confirmed]")).to_contain_text("未解决")
    clerk.shot(screenshots, "22-callback-workbench", full_page=False)

    # --- the case is redone and fed back again ------------------------------------------
    move(clerk, case_id, "reopen", reason="差评整改后重办")
    gjj = next(
        d
        for d in clerk.api("GET", "/api/v1/departments")
        if d["name"] == "云川市住房公积金管理中心"
    )
    move(clerk, case_id, "dispatch", department_id=gjj["id"])
    handle("整改后重新办理：已为您当场办结居住证，并安排专人全程陪同。")

    # --- round 2 on the phone -----------------------------------------------------------
    mp.goto(status_url)
    expect(mp.locator("form", has_text="请对整改后的办理结果再次评价")).to_be_visible()
    rate(mp, "满意", "整改后很快办好了。", screenshots / "mobile-05a-rate-again.png")
    mp.screenshot(path=str(screenshots / "mobile-05-rated-again.png"), full_page=True)

    evaluations = clerk.api("GET", f"/api/v1/cases/{case_id}/evaluations")
    assert [(e["round"], e["rating"]) for e in evaluations] == [
        (1, "very_dissatisfied"),
        (2, "satisfied"),
    ]
    page = clerk.goto(f"/cases/{case_id}")
    table = page.locator("[data-test=evaluations]")
    expect(table).to_contain_text("第1轮")
    expect(table).to_contain_text("非常不满意")
    expect(table).to_contain_text("第2轮")
    expect(page.locator("[data-test=timeline]")).to_contain_text("差评整改任务生成")
    table.scroll_into_view_if_needed()
    clerk.shot(screenshots, "23-case-evaluations")

    assert not m_errors, f"JavaScript errors on the phone: {m_errors}"
    ctx.close()
