"""Accessibility (GB/T 37668-2019, 适老化): axe-core on the phone pages and the console's main
pages finds no serious or critical violation; the phone pages have a large-text mode; every
control has a name; at 200 % zoom (half the CSS width) nothing needs a sideways scroll.

axe-core comes from npm (``web/node_modules/axe-core``, a dev dependency of the console) and is
injected into each page through Playwright.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, Console, Server, SignIn

AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
LABEL_SIZE = (
    "() => parseFloat(getComputedStyle(document.querySelector('.van-field__label')).fontSize)"
)


def _axe(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: cd web && npm ci")
    page.wait_for_timeout(300)  # transitions settle
    # Evaluated by the test driver, not added as a <script>: the page's CSP forbids
    # inline scripts, and the check must run under the real policy.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate(
        """async (TAGS) => {
            const r = await axe.run(document, {
              runOnly: { type: 'tag', values: TAGS },
              resultTypes: ['violations'],
            })
            return r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 160)),
            }))
        }""",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    )
    return [v for v in result if v["impact"] in BLOCKING]


def _check(page: Any) -> None:
    found = _axe(page)
    assert not found, f"{page.url}:\n" + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found
    )


def _no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{page.url}: {overflow}px wider than the window"


def _phone(browser: Any, width: int = PHONE["width"]) -> tuple[Any, Any]:
    ctx = browser.new_context(
        viewport={"width": width, "height": PHONE["height"]},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
    )
    ctx.set_default_timeout(15_000)
    return ctx, ctx.new_page()


def _report_a_case(page: Any, server: Server) -> str:
    page.goto(server.url("/m/report"))
    page.get_by_label("遇到的问题").fill("办理居住证时窗口说系统故障，已经跑了三趟还没办成。")
    page.get_by_label("姓名").fill("王老伯")
    page.get_by_label("手机号").fill("13912345670")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(re.compile(r"/m/done$"))
    return page.url


def test_phone_pages_pass_axe_in_both_text_sizes_and_at_200_percent(
    server: Server, browser: Any, screenshots: Path
) -> None:
    ctx, page = _phone(browser)
    try:
        page.goto(server.url("/m/report"))
        page.locator(".van-nav-bar__title", has_text="掌上反映窗口").wait_for()
        _check(page)
        _report_a_case(page, server)
        _check(page)
        page.get_by_role("button", name="查看办理进度").click()
        page.wait_for_url(re.compile(r"/m/status\?no="))
        page.locator(".van-cell", has_text="受理编号").wait_for()
        status_url = page.url
        _check(page)
        page.goto(server.url("/m/status"))
        _check(page)

        # Large-text mode: one switch, remembered, and every page still passes.
        page.goto(server.url("/m/report"))
        page.locator(".van-field__label").first.wait_for()  # the form is rendered
        before = page.evaluate(LABEL_SIZE)
        page.get_by_role("switch", name="大字模式").click()
        after = page.evaluate(LABEL_SIZE)
        assert after >= before * 1.25, (before, after)
        page.screenshot(path=str(screenshots / "mobile-a11y-large-text.png"), full_page=True)
        _check(page)
        page.goto(status_url)
        assert page.evaluate("() => document.documentElement.classList.contains('m-large')")
        _check(page)
        _no_sideways_scroll(page)
    finally:
        ctx.close()

    # 200 % zoom of a 640 px wide window: 320 CSS pixels (WCAG 1.4.10 reflow).
    ctx, page = _phone(browser, width=320)
    try:
        for path in ("/m/report", "/m/status"):
            page.goto(server.url(path))
            page.wait_for_timeout(300)
            _no_sideways_scroll(page)
            submit = page.get_by_role("button", name=re.compile("^(提交|查询)$"))
            submit.first.scroll_into_view_if_needed()
            assert submit.first.is_visible()
        page.screenshot(path=str(screenshots / "mobile-a11y-320px.png"), full_page=True)
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("clerk", ["/workbench", "/cases", "/cases/new", "CASE"]),
        ("supervisor", ["/supervision/board", "/insights"]),
        (
            "admin",
            [
                "/admin/logs",
                "/admin/deliveries",
                "/admin/templates",
                "/admin/webhooks",
                "/admin/users",
            ],
        ),
        ("handler_gjj", ["/profile/notifications"]),
    ],
)
def test_console_main_pages_pass_axe(
    sign_in: SignIn, server: Server, browser: Any, username: str, paths: list[str]
) -> None:
    console: Console = sign_in(username)
    for path in paths:
        if path == "CASE":
            first = console.api("GET", "/api/v1/cases?page_size=1")["items"][0]
            path = f"/cases/{first['id']}"
        page = console.goto(path)
        page.locator(".el-main, main").first.wait_for()
        page.wait_for_load_state("networkidle")
        _check(page)
    # 200 %: the console at half of a 1440 px window still reflows without a sideways scroll.
    page.set_viewport_size({"width": 720, "height": 900})
    page.wait_for_timeout(300)
    _no_sideways_scroll(page)


def test_login_page_passes_axe(server: Server, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(server.url("/login"))
        page.locator("input[name=username]").wait_for()
        _check(page)
    finally:
        ctx.close()


def test_disclosure_page_shows_the_month_without_people(
    server: Server, browser: Any, screenshots: Path
) -> None:
    """办理情况公示: reachable from the report page, figures and rectifications of the demo's
    month, no case number or phone on it, and it passes axe (also at 320 px)."""
    ctx, page = _phone(browser)
    try:
        page.goto(server.url("/m/report"))
        page.get_by_role("link", name="办理情况公示").or_(
            page.get_by_role("button", name="办理情况公示")
        ).first.click()
        page.wait_for_url(re.compile(r"/m/disclosure$"))
        totals = page.locator("[data-test=totals]")
        totals.locator(".van-cell", has_text="受理").first.wait_for()
        api = page.request.get(server.url("/api/v1/public/disclosure")).json()
        registered = api["totals"]["registered"]
        assert (
            totals.locator(".van-cell", has_text="受理")
            .first.inner_text()
            .endswith(f"{registered} 件")
        )
        assert registered > 0  # the demo has cases this month
        text = page.locator("body").inner_text()
        assert not re.search(r"BC-\d{4}-\d{6}|1\d{10}", text), text
        page.screenshot(path=str(screenshots / "mobile-40-disclosure.png"), full_page=True)
        _check(page)
        # Another month, by its button.
        previous = api["months"][1]
        y, m = previous.split("-")
        page.get_by_role("button", name=f"{y}年{int(m)}月").click()
        page.locator(".van-cell-group__title", has_text=f"{y}年{int(m)}月（").wait_for()
    finally:
        ctx.close()
    ctx, page = _phone(browser, width=320)
    try:
        page.goto(server.url("/m/disclosure"))
        page.locator("[data-test=totals]").wait_for()
        _no_sideways_scroll(page)
    finally:
        ctx.close()
