"""Browser test: a supervisor dry-runs a small CSV on the import page and sees the report;
the daily summary downloads as a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.test_console import choose_department

CSV = """编号,标题,诉求内容,反映人,联系电话,登记时间
E2E-1,公积金提取材料反复,第三次来办理仍被要求补交材料,李四,13900001111,2026-10-01 09:30
E2E-2,缺少内容,,王五,13900002222,2026-10-02
E2E-3,电话不对,内容,赵六,12345,2026-10-03
"""


def test_import_dry_run_shows_the_report(sign_in: Any, screenshots: Path, tmp_path: Path) -> None:
    sup = sign_in("supervisor")
    before = sup.api("GET", "/api/v1/cases?page_size=1")["total"]
    centre = next(d for d in sup.api("GET", "/api/v1/departments") if d["kind"] == "centre")
    path = tmp_path / "orders.csv"
    path.write_text(CSV, encoding="utf-8")

    page = sup.goto("/insights/import")
    expect(page.locator(".page-title")).to_contain_text("导入")
    expect(page.locator(".el-menu.menu")).to_contain_text("数据导入")
    page.locator("input[type=file]").set_input_files(str(path))
    choose_department(page, page.locator("[data-test=department]"), centre["name"], centre["name"])
    page.locator("[data-test=dry-run]").click()
    report = page.locator("[data-test=report]")
    expect(report).to_contain_text("预检结果")
    problems = report.locator("[data-test=problems] .el-table__body")
    expect(problems).to_contain_text("诉求内容")
    expect(problems.locator("tr")).to_have_count(2)
    expect(problems.locator("tr").first).to_contain_text("3")
    expect(report.locator(".counts")).to_contain_text("可导入")
    sup.shot(screenshots, "insights-import-dry-run")
    # A dry run writes nothing.
    assert sup.api("GET", "/api/v1/cases?page_size=1")["total"] == before

    page = sup.goto("/insights")
    expect(page.locator("[data-test=summary-pdf]")).to_be_visible()
    resp = sup.context.request.get(sup.server.url("/api/v1/insights/daily-summary.pdf"))
    assert resp.status == 200 and resp.body().startswith(b"%PDF")
    (screenshots / "daily-summary.pdf").write_bytes(resp.body())


def test_dashboard_reads_the_rollup_and_says_when(sign_in: Any, screenshots: Path) -> None:
    sup = sign_in("supervisor")
    page = sup.goto("/insights")
    before = sup.api("GET", "/api/v1/insights/overview")["rollup_refreshed_at"]
    page.locator("[data-test=refresh-now]").click()
    expect(page.locator(".el-message")).to_contain_text("统计数据已更新")
    after = sup.api("GET", "/api/v1/insights/overview")["rollup_refreshed_at"]
    assert after is not None and after != before
    leader = sign_in("leader")
    page = leader.goto("/insights")
    expect(page.locator("[data-test=freshness]")).to_contain_text("数据更新于")
    overview = leader.api("GET", "/api/v1/insights/overview")
    assert overview["rollup_refreshed_at"] is not None and overview["counts"]["registered"] > 0
    registered = str(overview["counts"]["registered"])
    expect(page.locator(".cards .v").first).to_have_text(registered)
    expect(page.locator(".el-loading-mask")).to_have_count(0)
    leader.shot(screenshots, "insights-dashboard")
