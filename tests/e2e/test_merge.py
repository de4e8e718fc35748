"""并单 in the console: a clerk compares a duplicate suggestion side by side and merges
the case into the earlier one; a supervisor undoes the merge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SignIn, window_case
from tests.e2e.test_citizen import phone_page, van_field
from tests.e2e.test_console import field

pytestmark = pytest.mark.e2e

FIRST = window_case(
    "complaint",
    "建设路口路灯坏了一个月没人修",
    "建设路与解放路交叉口的三盏路灯坏了一个多月，晚上过马路很不安全，希望尽快维修。",
    "赵六",
    "13800002222",
)
AGAIN = {
    **FIRST,
    "description": FIRST["description"].replace("三盏", "四盏"),
    "reporter": {"name": "钱七", "phone": "13800003333"},
}


def _open_with_suggestion(console: Any, case_id: int, other_id: int) -> Any:
    """The case page once the server's similar-case index has the other case (it takes
    in new cases every two seconds)."""
    from playwright.sync_api import expect

    page = console.goto(f"/cases/{case_id}")
    button = page.locator(f"[data-test=compare-{other_id}]")
    for _ in range(10):
        if button.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
        page.locator("[data-test=case-number]").wait_for()
    expect(button).to_be_visible()
    return page


def test_merge_and_undo_in_the_console(
    sign_in: SignIn, server: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    from bancheng.cases.enums import LABELS_ZH

    clerk = sign_in("clerk")
    master = clerk.api("POST", "/api/v1/cases", FIRST)
    follower = clerk.api("POST", "/api/v1/cases", AGAIN)
    master["state_label"] = LABELS_ZH["state"][master["state"]]
    page = _open_with_suggestion(clerk, follower["id"], master["id"])
    expect(page.locator("[data-test=similar]")).to_contain_text("可能重复")
    page.locator(f"[data-test=compare-{master['id']}]").click()
    dialog = page.locator(".el-dialog:visible").last
    compare = dialog.locator("[data-test=merge-compare]")
    expect(compare).to_contain_text(master["number"])
    expect(compare).to_contain_text(follower["number"])
    expect(compare).to_contain_text("三盏路灯")
    expect(compare).to_contain_text("四盏路灯")
    # The earlier registration carries the work by default.
    expect(dialog.locator("[data-test=merge-direction] label.is-checked")).to_contain_text(
        f"本件并入 {master['number']}"
    )
    # No reason: refused in the dialog, nothing sent.
    dialog.locator("[data-test=merge-submit]").click()
    expect(dialog.locator("[data-test=merge-error]")).to_contain_text("请填写并单理由")
    field(dialog, "merge-reason").fill("同一路口同一批路灯，重复反映")
    clerk.shot(screenshots, "40-merge-compare", full_page=False)
    dialog.locator("[data-test=merge-submit]").click()
    expect(page.locator("[data-test=merged-flag]")).to_have_text("已并单")
    card = page.locator("[data-test=merge-card]")
    expect(card).to_contain_text(f"本件已并入 {master['number']}")
    expect(card).to_contain_text("同一路口同一批路灯，重复反映")
    expect(page.locator("[data-test=merge-undo]")).to_have_count(0)  # a supervisor's
    expect(page.locator("[data-test=case-actions]")).to_contain_text("当前没有您可以执行的操作")
    clerk.shot(screenshots, "41-merged-follower")

    # The master lists its follower.
    page = clerk.goto(f"/cases/{master['id']}")
    followers = page.locator("[data-test=merge-followers]")
    expect(followers).to_contain_text(follower["number"])
    expect(followers).to_contain_text("钱七")
    clerk.shot(screenshots, "42-merge-master")

    # The ledger counts the group once: the follower shows only when asked for.
    page = clerk.goto("/cases")
    page.get_by_placeholder("编号、标题或内容").fill("建设路口路灯")
    page.get_by_role("button", name="更多条件").click()
    page.locator("[data-test=filter-search]").click()
    body = page.locator(".el-table__body")
    expect(body).to_contain_text(master["number"])
    expect(body).not_to_contain_text(follower["number"])
    page.locator("[data-test=filter-include-merged]").click()
    page.locator("[data-test=filter-search]").click()
    expect(body).to_contain_text(follower["number"])
    expect(body).to_contain_text(master["number"])
    assert "include_merged=true" in page.url

    # The follower's reporter sees the master's progress on the phone page.
    ctx, mp, m_errors = phone_page(browser)
    try:
        mp.goto(server.url(f"/m/status?no={follower['number']}"))
        van_field(mp, "手机号").fill(AGAIN["reporter"]["phone"])
        mp.get_by_role("button", name="查询").click()
        progress = mp.locator("[data-test=master-progress]")
        expect(progress).to_contain_text("合并办理")
        expect(progress.locator("[data-test=master-state]")).to_have_text(master["state_label"])
        expect(progress).not_to_contain_text(FIRST["reporter"]["name"])
        mp.screenshot(path=str(screenshots / "mobile-40-merged-status.png"), full_page=True)
        assert not m_errors, m_errors
    finally:
        ctx.close()

    supervisor = sign_in("supervisor")
    page = supervisor.goto(f"/cases/{follower['id']}")
    page.locator("[data-test=merge-undo]").click()
    box = page.locator(".el-message-box")
    box.locator("input").fill("经核实是两处不同的路灯")
    box.get_by_role("button", name="撤销并单").click()
    expect(page.locator("[data-test=merged-flag]")).to_have_count(0)
    expect(page.locator("[data-test=merge-card]")).to_have_count(0)
    state = supervisor.api("GET", f"/api/v1/cases/{follower['id']}")
    assert (state["merged_into_id"], state["state"]) == (None, follower["state"])
