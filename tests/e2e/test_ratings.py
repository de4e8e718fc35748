"""好差评 on the channel's indicators in a real browser: an administrator's reply template
fills the clerk's feedback dialog, the reporter rates on the phone page with the online
indicator set (GB/T 39734-2020) and must tick a reason for a bad review, and the rating
shows in the monthly ranking."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, SignIn
from tests.e2e.test_citizen import move, phone_page, public_report
from tests.e2e.test_console import act, expect_state, submit

pytestmark = pytest.mark.e2e

ONLINE = {
    "overall": "整体满意度",
    "efficiency": "办事效率",
    "guide_accuracy": "办事指南精确度",
    "convenience": "办事便捷度",
    "usability": "平台操作性",
}


def test_rate_on_the_channels_indicators(
    sign_in: SignIn, server: Server, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    admin = sign_in("admin")
    title = f"一次性告知（评价） {random.randint(1000, 9999)}"
    admin.api(
        "POST",
        "/api/v1/admin/reply-templates",
        {
            "action": "give_feedback",
            "title": title,
            "body": "您反映的诉求{案件编号}（{标题}）已由{办理单位}办结，请对办理情况作出评价。",
        },
    )
    page = admin.goto("/admin/reply-templates")
    expect(page.locator("[data-test=reply-templates-table]")).to_contain_text(title)
    admin.shot(screenshots, "40-reply-templates")

    clerk = sign_in("clerk")
    me = clerk.api("GET", "/api/v1/auth/me")
    halls = clerk.api("GET", "/api/v1/halls")
    hall = next((h for h in halls if h["department_id"] == me["department_id"]), halls[0])

    # --- a report from the phone, solved on the spot --------------------------------------
    ctx, mp, m_errors = phone_page(browser)
    phone = f"139{random.randint(10_000_000, 99_999_999)}"
    out = public_report(
        ctx.request,
        server,
        description="网上申报营业执照，办事指南写的材料和窗口要的不一样，来回改了三次。",
        name="王评价",
        phone=phone,
        hall_id=hall["id"],
    )
    found = clerk.api("GET", f"/api/v1/cases?q={out['number']}")
    case_id = found["items"][0]["id"]
    move(
        clerk,
        case_id,
        "resolve_on_spot",
        outcome="done",
        resolution="已按最新办事指南一次性告知全部材料并当场办结。",
    )

    # --- the clerk's feedback dialog: the reply template fills the text ------------------
    page = clerk.goto(f"/cases/{case_id}")
    dialog = act(page, "give_feedback")
    dialog.locator("[data-test=reply-template]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=title).click()
    text = dialog.locator(
        "[data-test=field-notification] textarea, textarea[data-test=field-notification]"
    ).first
    expect(text).to_have_value(re.compile(f"^您反映的诉求{out['number']}（"))
    clerk.shot(screenshots, "41-reply-template-filled", full_page=False)
    submit(dialog)
    expect_state(page, "已反馈")

    # --- the reporter rates on the online indicators -------------------------------------
    mp.goto(server.url(f"/m/status?no={out['number']}&t={out['token']}"))
    form = mp.locator("form", has_text="整体满意度")
    expect(form).to_be_visible()
    expect(mp.locator("[data-test=rating-deadline]")).to_contain_text(
        re.compile(r"\d{4}-\d{2}-\d{2}")
    )
    for code, label in ONLINE.items():
        if code != "overall":  # the five-level choice is 整体满意度
            expect(mp.locator(f"[data-test=indicator-{code}]")).to_contain_text(label)
    form.locator(".van-radio", has_text=re.compile("^不满意$")).click()
    mp.locator("[data-test=indicator-guide_accuracy] .van-rate__item").nth(0).click()
    mp.locator("[data-test=indicator-efficiency] .van-rate__item").nth(1).click()
    mp.get_by_role("button", name="提交评价").click()
    reasons = mp.locator("[data-test=bad-reasons]")
    expect(reasons).to_contain_text("请至少勾选一项不满意的原因")
    reasons.locator(".van-checkbox", has_text="办事指南不准确").click()
    reasons.locator(".van-checkbox", has_text="材料重复提交").click()
    form.scroll_into_view_if_needed()
    mp.screenshot(path=str(screenshots / "mobile-10-rate-indicators.png"), full_page=True)
    mp.get_by_role("button", name="提交评价").click()
    expect(mp.locator(".rated")).to_contain_text("您的评价：不满意")
    assert m_errors == []
    ctx.close()

    evaluations = clerk.api("GET", f"/api/v1/cases/{case_id}/evaluations")
    assert [(e["rating"], e["scores"], e["bad_reasons"]) for e in evaluations] == [
        (
            "dissatisfied",
            {"overall": 2, "efficiency": 2, "guide_accuracy": 1, "convenience": 5, "usability": 5},
            ["guide_inaccurate", "repeated_submission"],
        )
    ]

    page = clerk.goto(f"/cases/{case_id}")
    expect(page.locator("[data-test=evaluation-scores]")).to_contain_text("办事指南精确度 1")
    expect(page.locator("[data-test=evaluation-reasons]")).to_contain_text("材料重复提交")

    # --- a rating entered at the window: the offline indicators -------------------------
    second_report = public_report(
        clerk.context.request,
        server,
        description="窗口说社保转移要回原籍开证明，电话咨询又说不用，不知道听谁的。",
        name="赵窗口",
        phone=f"138{random.randint(10_000_000, 99_999_999)}",
        hall_id=hall["id"],
    )
    second = clerk.api("GET", f"/api/v1/cases?q={second_report['number']}")["items"][0]["id"]
    move(
        clerk, second, "resolve_on_spot", outcome="done", resolution="已当面说明无需回原籍开证明。"
    )
    move(clerk, second, "give_feedback", notification_text="社保转移无需回原籍开具证明。")
    page = clerk.goto(f"/cases/{second}")
    dialog = act(page, "evaluate")
    # The reporter rated on the 12345 hotline's return call: the clerk says so.
    dialog.locator("[data-test=field-rating-channel] label", has_text="12345热线").click()
    dialog.locator("[data-test=field-rating]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=re.compile("^非常不满意$")).click()
    for label in ("服务效率", "服务水平", "服务态度", "服务环境", "办事便捷度"):
        expect(dialog).to_contain_text(label)
    dialog.locator("[data-test=window-indicator-attitude] .el-rate__item").nth(0).click()
    # A bad review offers the checklist (the server does not require a reason at the window).
    expect(dialog.locator("[data-test=window-bad-reasons]")).to_be_visible()
    dialog.locator("[data-test=window-bad-reasons] .el-checkbox", has_text="服务态度差").click()
    clerk.shot(screenshots, "43-window-rating-offline", full_page=False)
    submit(dialog)
    expect_state(page, "已评价")
    window_ev = clerk.api("GET", f"/api/v1/cases/{second}/evaluations")
    assert [
        (e["source"], e["channel"], e["scores"]["attitude"], e["bad_reasons"]) for e in window_ev
    ] == [("window", "hotline_12345", 1, ["poor_attitude"])]
    expect(page.locator("[data-test=evaluation-source]")).to_have_text("窗口录入 · 12345热线")

    # --- the month's ranking per staff member -------------------------------------------
    page = clerk.goto("/ratings/rankings")
    page.locator("[data-test=rank-unit-staff]").click()
    table = page.locator("[data-test=ranking-table]")
    expect(table.locator(".el-table__body tr").first).to_be_visible()
    expect(table).to_contain_text(me["display_name"])
    clerk.shot(screenshots, "42-rating-rankings")
