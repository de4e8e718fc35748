"""Issue 17 items 5-7 in the console: precedents on the new-case page and on a case,
several blocker types, and ending a case as unreasonable with a supervisor's approval."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import SignIn, window_case
from tests.e2e.test_console import act, expect_state, field, submit

pytestmark = pytest.mark.e2e


def _dept(console, name: str) -> int:
    return next(d["id"] for d in console.api("GET", "/api/v1/departments") if d["name"] == name)


def test_precedents_on_the_new_case_page_and_the_case(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    library = clerk.api("GET", "/api/v1/knowledge/cases")
    assert library, "the demo publishes library cases"
    lib = library[0]
    page = clerk.goto("/cases/new")
    field(page, "title").fill(lib["title"])
    field(page, "description").fill(lib["summary"])
    page.get_by_role("button", name="获取分派建议与相似案件").click()
    panel = page.locator("[data-test=new-case-precedents]")
    expect(panel.locator("[data-test=precedent-library]").first).to_contain_text(lib["title"])
    expect(panel.locator("[data-test=precedent-ledger]").first).to_contain_text("办理情况")
    panel.scroll_into_view_if_needed()
    clerk.shot(screenshots, "40-new-case-precedents", full_page=False)

    created = clerk.api(
        "POST",
        "/api/v1/cases",
        {
            "channel": "window",
            "kind": "cannot_do",
            "blocker_type": "cross_department",
            "blocker_types": ["cross_department", "missing_materials"],
            "title": lib["title"],
            "description": lib["summary"],
            "reporter": {"name": "赵六", "phone": "13800002222"},
        },
    )
    page = clerk.goto(f"/cases/{created['id']}")
    expect(page.locator("[data-test=blockers]")).to_have_text("跨部门协调难、材料缺失")
    card = page.locator("[data-test=precedents-card]")
    expect(card.locator("[data-test=precedent-library]").first).to_contain_text(lib["title"])
    card.scroll_into_view_if_needed()
    clerk.shot(screenshots, "41-case-precedents", full_page=False)

    # The ledger filters on any of the case's blockers.
    page = clerk.goto("/cases?blocker_type=missing_materials&q=" + created["number"])
    expect(page.locator("[data-test=case-table]")).to_contain_text(created["number"])


def test_end_as_unreasonable_with_approval(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    created = clerk.api(
        "POST",
        "/api/v1/cases",
        window_case(
            "cannot_do",
            "要求补发已过时效的一次性补贴",
            "要求补发十年前的一次性补贴，已超过申领时效。",
            "钱七",
            "13800003333",
        ),
    )
    cid = created["id"]
    if created["state"] == "registered":
        rsj = _dept(clerk, "云川市人力资源和社会保障局")
        clerk.api(
            "POST",
            f"/api/v1/cases/{cid}/actions/dispatch",
            {"version": created["version"], "department_id": rsj},
        )
    handler = sign_in("handler_rsj")
    hp = handler.goto(f"/cases/{cid}")
    submit(act(hp, "accept"))
    expect_state(hp, "已签收")
    dialog = act(hp, "request_end")
    submit(dialog)
    expect(dialog.locator(".el-form-item__error").first).to_be_visible()
    dialog.locator("[data-test=end-as-unreasonable]").click()
    field(dialog, "field-reason").fill("申领时效已过，依据《一次性补贴发放办法》第八条不予补发")
    handler.shot(screenshots, "42-request-end-dialog", full_page=False)
    submit(dialog)
    expect(hp.locator("[data-test=end-request-banner]")).to_contain_text("不合理诉求")
    expect(hp.locator("[data-test=action-request_end]")).to_have_count(0)

    supervisor = sign_in("supervisor")
    sp = supervisor.goto(f"/cases/{cid}")
    dialog = act(sp, "decide_end")
    expect(dialog.locator("[data-test=end-request]")).to_contain_text("第八条")
    dialog.locator("[data-test=field-approve]").get_by_text("批准", exact=True).click()
    supervisor.shot(screenshots, "43-decide-end-dialog", full_page=False)
    submit(dialog)
    expect_state(sp, "已办结")
    timeline = sp.locator(".el-timeline")
    expect(timeline).to_contain_text("审批不合理/无效诉求")
    expect(timeline).to_contain_text("不计入考核")
    supervisor.shot(screenshots, "44-ended-as-unreasonable")


def test_insights_by_difficulty_and_nature(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    leader = sign_in("supervisor")
    page = leader.goto("/insights")
    part = page.locator("[data-test=by-difficulty-nature]")
    expect(part.locator("[data-test=breakdown-difficulty]")).to_contain_text("一般")
    expect(part.locator("[data-test=breakdown-nature]")).to_contain_text("未填写")
    expect(page.locator("[data-test=unreasonable-count]")).to_contain_text("不计入考核")
    expect(page.locator(".insights > .el-loading-mask")).to_be_hidden()
    part.scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # the charts' animation
    leader.shot(screenshots, "45-insights-difficulty-nature", full_page=False)
