"""Routing in the console: a clerk recalls an automatic dispatch; an administrator sees the
learning job's runs with their figures and reverts the promoted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SignIn, window_case
from tests.e2e.test_console import act, expect_state, field, submit

pytestmark = pytest.mark.e2e

SOCIAL = window_case(
    "consultation",
    "关于社保缴费基数调整的咨询",
    "我单位职工的社会保险缴费基数如何调整，养老保险和医疗保险缴费比例是多少",
    "王五",
    "13800001111",
)


def test_clerk_recalls_an_automatic_dispatch(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    created = clerk.api("POST", "/api/v1/cases", SOCIAL)
    assert created["state"] == "dispatched"
    page = clerk.goto(f"/cases/{created['id']}")
    expect_state(page, "已派单")
    expect(page.locator("[data-test=action-recall]")).to_have_text("撤回自动派单")
    clerk.shot(screenshots, "20-recall-button", full_page=False)
    dialog = act(page, "recall")
    field(dialog, "field-reason").fill("应由医保局办理")
    submit(dialog)
    expect_state(page, "已登记")
    expect(page.locator("[data-test=action-recall]")).to_have_count(0)


def test_routing_models_page_and_revert(
    sign_in: SignIn, server: Any, screenshots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    from bancheng.core.db import Database
    from bancheng.routing import learning

    # The e2e city is small (120 cases): let the job learn from what it has.
    monkeypatch.setattr(learning, "MIN_EXAMPLES", 20)
    monkeypatch.setattr(learning, "MIN_EVAL", 10)
    # The live server's own database (a subprocess): what is written here must commit.
    db = Database(f"sqlite:///{server.data_dir / 'bancheng.db'}")
    try:
        result = learning.learn(lambda: db.transaction(False), lambda: db.transaction(True))
    finally:
        db.dispose()
    assert result.ran, result.reason
    admin = sign_in("admin")
    page = admin.goto("/admin/routing")
    runs = page.locator("[data-test=routing-runs]")
    expect(runs.locator(".el-table__row")).to_have_count(1)
    c = result.figures["candidate"]["coverage_at_99_precision"]  # type: ignore[index]
    expect(runs).to_contain_text(f"{c * 100:.1f}%")
    admin.shot(screenshots, "21-routing-models")
    if result.decision == "promoted":
        expect(page.locator("[data-test=routing-status]")).to_contain_text("正在使用单位模型")
        page.locator("[data-test=revert]").click()
        page.locator(".el-message-box").get_by_role("button", name="回退").click()
        expect(runs).to_contain_text("已回退")
        expect(page.locator("[data-test=routing-status]")).to_contain_text("当前按分类路由")
    else:
        expect(page.locator("[data-test=revert]")).to_have_count(0)
