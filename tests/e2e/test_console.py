"""The staff console's main paths, as each role, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Console, SignIn, make_pdf, make_png, window_case

pytestmark = pytest.mark.e2e


# --- Element Plus helpers --------------------------------------------------------------


def field(page: Any, name: str) -> Any:
    """The native input or textarea of a form control marked ``data-test=name``."""
    return page.locator(
        f"input[data-test={name}], textarea[data-test={name}], "
        f"[data-test={name}] input, [data-test={name}] textarea"
    ).first


def _until_taken(
    page: Any, trigger: Any, text: str, pick: Callable[[], None], *, typed: bool = False
) -> None:
    """``pick()`` (open the select and click an item) until ``trigger`` shows ``text``:
    a click that lands while the dropdown is still opening, or while a filtered tree
    re-renders, selects nothing (CI saw both on a loaded machine). Three tries; between
    them the dropdown is closed and, when ``typed``, the typed filter cleared."""
    from playwright.sync_api import expect

    for attempt in range(3):
        pick()
        try:
            expect(trigger).to_contain_text(text, timeout=3_000)
            return
        except AssertionError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            if typed:
                page.keyboard.press("Control+A")
                page.keyboard.press("Backspace")


def choose(page: Any, trigger: Any, option: str, *, search: str | None = None) -> None:
    """Open an ElSelect and click the option with exactly this text."""

    def pick() -> None:
        trigger.click()
        if search:
            page.keyboard.type(search)
        items = page.locator(".el-select-dropdown__item:visible")
        items.get_by_text(option, exact=True).first.click()

    _until_taken(page, trigger, option, pick, typed=bool(search))


def choose_department(page: Any, trigger: Any, search: str, name_part: str) -> None:
    """Open an ElTreeSelect of departments, filter it, and click the first match (once the
    filtered tree has settled)."""

    def pick() -> None:
        trigger.click()
        page.keyboard.type(search)
        node = page.locator(".el-tree-node__content:visible", has_text=name_part).first
        node.wait_for()
        page.wait_for_timeout(300)
        node.click()

    _until_taken(page, trigger, name_part, pick, typed=True)


def state_tag(page: Any) -> Any:
    return page.locator(".detail [data-test=state-tag]").first


def act(page: Any, action: str) -> Any:
    """Open the dialog of a case action; returns the dialog."""
    page.locator(f"[data-test=action-{action}]").click()
    dialog = page.locator(".el-dialog:visible").last
    dialog.wait_for()
    return dialog


def submit(dialog: Any) -> None:
    dialog.locator("[data-test=action-submit]").click()


def settled(page: Any, dialog: Any) -> None:
    """Wait until a submitted action dialog closes; a refusal shown in it fails with its text."""
    error = dialog.locator("[data-test=action-error]")
    for _ in range(150):
        if not dialog.is_visible():
            return
        if error.count() and error.first.is_visible():
            raise AssertionError(f"the action was refused: {error.first.inner_text()}")
        page.wait_for_timeout(100)
    raise AssertionError(f"the dialog stayed open: {dialog.inner_text()[:300]}")


def expect_state(page: Any, label: str) -> None:
    from playwright.sync_api import expect

    expect(state_tag(page)).to_have_text(label)


def _later(deadline_text: str, *, days: int) -> str:
    """A date `days` after the one shown in the deadline line, as YYYY-MM-DD."""
    from datetime import date, timedelta

    found = re.search(r"(\d{4}-\d{2}-\d{2})", deadline_text)
    assert found, deadline_text
    return (date.fromisoformat(found.group(1)) + timedelta(days=days)).isoformat()


# --- tests ----------------------------------------------------------------------------------


def test_sign_in_and_out(sign_in: SignIn, server: Any, browser: Any, screenshots: Path) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url("/cases"))
    page.wait_for_url(re.compile(r"/login\?redirect="))
    page.locator("input[name=username]").fill("clerk")
    page.locator("input[name=password]").fill("wrong-password")
    page.locator("button[type=submit]").click()
    expect(page.locator("[data-test=login-error]")).to_contain_text("用户名或密码不正确")
    page.screenshot(path=str(screenshots / "01-sign-in.png"))
    page.locator("input[name=password]").fill(server.password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases$"))  # back where the user wanted to go
    expect(page.locator("[data-test=user-menu]")).to_contain_text("受理员")
    page.locator("[data-test=user-menu]").click()
    page.locator(".el-dropdown-menu__item:visible", has_text="退出登录").click()
    page.wait_for_url(re.compile(r"/login"))
    page.goto(server.url("/workbench"))
    page.wait_for_url(re.compile(r"/login"))
    ctx.close()


def test_workbench_ledger_and_inbox(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    page = clerk.page
    page.wait_for_url(re.compile(r"/workbench"))
    expect(page.locator("[data-test=counter-dispatch] .counter-value")).to_have_text(
        re.compile(r"^\d+$")
    )
    clerk.shot(screenshots, "02-workbench-clerk")

    clerk.goto("/cases")
    expect(page.locator("[data-test=ledger-total]")).to_have_text(re.compile(r"^[1-9]\d*$"))
    total = int(page.locator("[data-test=ledger-total]").inner_text())
    clerk.shot(screenshots, "03-ledger")

    choose(page, page.locator("[data-test=filter-state]"), "已归档")
    page.locator("[data-test=filter-search]").click()
    page.wait_for_url(re.compile(r"state=closed"))
    expect(page.locator("[data-test=ledger-total]")).not_to_have_text(str(total))
    rows = page.locator("[data-test=case-table] .el-table__body tr")
    expect(rows.first).to_be_visible()
    for tag in page.locator("[data-test=case-table] [data-test=state-tag]").all_inner_texts():
        assert tag == "已归档"

    # A keyword nobody used: the empty state, not a blank table.
    field(page, "filter-q").fill("没有这样的关键字zzz")
    page.locator("[data-test=filter-search]").click()
    expect(page.locator("[data-test=ledger-total]")).to_have_text("0")
    expect(page.locator("[data-test=case-table] .el-empty")).to_contain_text("没有符合条件的案件")

    handler = sign_in("handler_gjj")
    handler.page.wait_for_url(re.compile(r"/workbench"))
    expect(handler.page.locator("[data-test=counter-accept] .counter-value")).to_have_text(
        re.compile(r"^\d+$")
    )
    handler.shot(screenshots, "02-workbench-handler")


def _register(clerk: Console, screenshots: Path, tmp_path: Path) -> tuple[int, str]:
    from playwright.sync_api import expect

    page = clerk.goto("/cases/new")
    page.locator("[data-test=case-form]").wait_for()
    page.locator("[data-test=channel]").get_by_text("局长热线").click()
    field(page, "reporter-name").fill("测试群众")
    # Client-side checks sit next to their fields.
    field(page, "reporter-phone").fill("12345")
    field(page, "reporter-id").fill("110105194912310021")
    page.locator("[data-test=submit]").click()
    expect(page.locator(".el-form-item.is-error")).to_have_count(4)  # phone, id, title, text
    expect(page.get_by_text("请输入有效的大陆手机号或固定电话")).to_be_visible()
    expect(page.get_by_text("身份证号码不正确")).to_be_visible()

    field(page, "reporter-phone").fill("139 0979 1234")
    field(page, "reporter-id").fill("11010519491231002X")
    field(page, "reporter-id").blur()
    expect(page.locator("[data-test=reporter-history]")).to_be_visible()
    choose(page, page.locator("[data-test=matter]"), "住房公积金提取（租赁住房）", search="租赁")
    field(page, "title").fill("公积金提取被要求重复提供婚姻证明")
    field(page, "description").fill(
        "在公积金窗口办理提取，已提交结婚证，仍被要求到民政开具婚姻状况证明。"
    )
    page.locator(".el-upload input[type=file]").set_input_files(
        [str(make_png(tmp_path / "收据.png")), str(make_pdf(tmp_path / "申请表.pdf"))]
    )
    expect(page.locator(".el-upload-list__item")).to_have_count(2)
    field(page, "description").blur()
    expect(page.locator(".el-form-item.is-error")).to_have_count(0)
    clerk.shot(screenshots, "05-register")
    page.locator("[data-test=submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    number = page.locator("[data-test=case-number]").inner_text()
    assert re.fullmatch(r"BC-\d{4}-\d{6}", number)
    expect_state(page, "已登记")
    expect(page.locator("[data-test=deadline]")).to_contain_text("办结期限")
    expect(page.locator("[data-test=countdown]")).to_contain_text("剩余")
    expect(page.locator("[data-test=attachment-images] img")).to_have_count(1)
    expect(page.get_by_role("link", name="申请表.pdf")).to_be_visible()
    return case_id, number


def test_case_lifecycle_through_the_console(
    sign_in: SignIn, screenshots: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    case_id, number = _register(clerk, screenshots, tmp_path)
    page = clerk.page

    # The reporter is masked until a logged reveal.
    expect(page.locator("[data-test=reporter-phone]")).to_have_text("139****1234")
    page.locator("[data-test=reveal]").click()
    page.locator(".el-popconfirm:visible").get_by_role("button", name="查看").click()
    expect(page.locator("[data-test=reporter-phone]")).to_have_text("13909791234")

    # Dispatch to the housing fund centre.
    dialog = act(page, "dispatch")
    submit(dialog)
    expect(dialog.locator(".el-form-item__error")).to_contain_text("请选择单位")
    choose_department(
        page, dialog.locator("[data-test=field-department]"), "公积金", "云川市住房公积金管理中心"
    )
    expect(dialog.locator("[data-test=field-department]")).to_contain_text(
        "云川市住房公积金管理中心"
    )
    submit(dialog)
    settled(page, dialog)
    expect_state(page, "已派单")
    clerk.shot(screenshots, "06-case-dispatched")

    # First handler accepts and transfers; the second does the same.
    hops = [
        ("handler_gjj", "不动产", "云川市不动产登记中心"),
        ("handler_bdc", "人力资源", "云川市人力资源和社会保障局"),
    ]
    for username, search, target in hops:
        h = sign_in(username)
        hp = h.goto("/inbox")  # the department inbox lists it under 待签收
        expect(hp.locator("[data-test=case-table]")).to_contain_text(number)
        if username == "handler_gjj":
            h.shot(screenshots, "04-inbox-handler")
        hp.locator("[data-test=case-table]").get_by_role("link", name=number).click()
        expect(hp.locator("[data-test=case-number]")).to_have_text(number)
        submit(act(hp, "accept"))
        expect_state(hp, "已签收")
        dialog = act(hp, "transfer")
        dialog.locator(
            "[data-test=field-reason] textarea, textarea[data-test=field-reason]"
        ).first.fill("该事项由其他单位主管")
        choose_department(hp, dialog.locator("[data-test=field-department]"), search, target)
        submit(dialog)
        expect_state(hp, "已派单")

    # The third unit may not pass it on again: the refusal is on screen.
    rsj = sign_in("handler_rsj")
    rp = rsj.goto(f"/cases/{case_id}")
    submit(act(rp, "accept"))
    expect_state(rp, "已签收")
    expect(rp.locator("[data-test=action-transfer]")).to_be_visible()
    expect(rp.locator("[data-test=action-transfer] .warn-icon")).to_be_visible(timeout=10_000)
    dialog = act(rp, "transfer")
    expect(dialog.locator("[data-test=action-warning]")).to_contain_text("转办次数已达上限")
    dialog.locator(
        "[data-test=field-reason] textarea, textarea[data-test=field-reason]"
    ).first.fill("再转一次")
    choose_department(rp, dialog.locator("[data-test=field-department]"), "民政", "云川市民政局")
    submit(dialog)
    expect(dialog.locator("[data-test=action-error]")).to_contain_text("转办次数已达上限")
    expect(rp.locator(".el-message--error")).to_contain_text("转办次数已达上限")
    rsj.shot(screenshots, "07-transfer-limit-refused", full_page=False)
    dialog.get_by_role("button", name="取消").click()
    expect(rp.locator("[data-test=supervision-flag]")).to_be_visible()
    expect_state(rp, "已签收")

    # Ask for more time; the supervisor approves it.
    submit(act(rp, "start"))
    expect_state(rp, "办理中")
    due = rp.locator("[data-test=deadline]").inner_text()
    dialog = act(rp, "request_extension")
    field(dialog, "field-reason").fill("需与民政部门核实婚姻登记信息")
    picker = dialog.get_by_placeholder("延期后的办结日期")
    picker.fill(_later(due, days=14))
    picker.press("Enter")
    submit(dialog)
    # The card whose header is 延期申请 (the action buttons' text can run together into it).
    extensions = rp.locator(".page-card", has=rp.locator(".el-card__header", has_text="延期申请"))
    expect(extensions).to_contain_text("待审批")
    supervisor = sign_in("supervisor")
    sp = supervisor.goto(f"/cases/{case_id}")
    dialog = act(sp, "decide_extension")
    expect(dialog).to_contain_text("需与民政部门核实婚姻登记信息")
    dialog.locator("[data-test=field-approve]").get_by_text("批准", exact=True).click()
    submit(dialog)
    expect(
        sp.locator(".page-card", has=sp.locator(".el-card__header", has_text="延期申请"))
    ).to_contain_text("已批准")
    expect(sp.locator("[data-test=deadline]")).to_contain_text(_later(due, days=14))
    supervisor.shot(screenshots, "08a-extension-approved")
    rp.reload()

    # Resolve as "cannot do by policy": the no-veto fields are required.
    dialog = act(rp, "resolve")
    expect(dialog.locator("[data-test=field-policy]")).to_have_count(0)
    dialog.locator("[data-test=outcome-cannot_by_policy]").click()
    dialog.locator(
        "textarea[data-test=field-resolution], [data-test=field-resolution] textarea"
    ).first.fill("经核实，按现行政策须提供婚姻状况证明。")
    submit(dialog)
    expect(dialog.locator(".el-form-item__error")).to_have_count(3)
    field(dialog, "field-policy").fill("《住房公积金提取管理办法》第十二条")
    field(dialog, "field-alternative").fill("通过“跨省通办”线上调取婚姻登记信息，无需本人跑腿")
    field(dialog, "field-alternative-owner").fill("市民政局婚姻登记处")
    field(dialog, "field-alternative-owner").blur()
    rsj.shot(screenshots, "08-resolve-no-veto", full_page=False)
    submit(dialog)
    expect_state(rp, "已办结")

    # The window gives the one-time notification, records the evaluation and closes.
    page.reload()
    expect_state(page, "已办结")
    dialog = act(page, "give_feedback")
    # Materials are prefilled from the matter catalogue (loaded when the dialog opens).
    expect(dialog.locator(".material input").first).to_be_visible(timeout=10_000)
    expect(field(dialog, "field-notification")).to_have_value(re.compile("政策依据"))
    submit(dialog)
    expect_state(page, "已反馈")
    dialog = act(page, "evaluate")
    choose(page, dialog.locator("[data-test=field-rating]"), "满意")
    submit(dialog)
    settled(page, dialog)
    expect_state(page, "已评价")
    submit(act(page, "close"))
    expect_state(page, "已归档")
    timeline = page.locator("[data-test=timeline]")
    for step in (
        "登记",
        "派单",
        "签收",
        "转办",
        "提交督查协调",
        "办结",
        "一次性告知反馈",
        "录入评价",
        "归档",
    ):
        expect(timeline).to_contain_text(step)
    clerk.shot(screenshots, "09-case-closed")


def test_handler_cannot_open_a_case_outside_their_scope(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    created = clerk.api(
        "POST",
        "/api/v1/cases",
        window_case("consultation", "只在受理窗口的案件", "尚未派单", "王五", "13800001111"),
    )
    handler = sign_in("handler_gjj")
    page = handler.goto(f"/cases/{created['id']}")
    expect(page.locator("[data-test=case-not-found]")).to_contain_text("案件不存在或无权查看")
    expect(page.locator("[data-test=case-number]")).to_have_count(0)
    handler.shot(screenshots, "10-out-of-scope")
    # Nor does it appear in the handler's ledger.
    page = handler.goto(f"/cases?q={created['number']}")
    expect(page.locator("[data-test=ledger-total]")).to_have_text("0")


def test_administration_pages(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    admin = sign_in("admin")
    page = admin.page
    page.wait_for_url(re.compile(r"/admin/users"))  # an administrator starts here
    expect(page.locator("[data-test=users-table]")).to_contain_text("handler_gjj")
    admin.shot(screenshots, "11-admin-users")

    page.locator("[data-test=user-add]").click()
    dialog = page.locator(".el-dialog:visible").last
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator(".el-form-item__error").first).to_be_visible()
    dialog.get_by_role("button", name="取消").click()

    admin.goto("/org/departments")
    expect(page.locator(".el-tree")).to_contain_text("云川市住房公积金管理中心")
    admin.shot(screenshots, "12-admin-departments")

    admin.goto("/admin/calendar")
    expect(page.locator("[data-test=calendar-months] .month")).to_have_count(12)
    expect(page.locator("[data-test=calendar-months] .day-holiday").first).to_be_visible()
    admin.shot(screenshots, "13-admin-calendar")

    admin.goto("/admin/sla")
    expect(page.locator("[data-test=policies-table]")).to_contain_text("工作日")
    admin.shot(screenshots, "14-admin-sla-policies")

    # An administrator's change is in the operation log, named in Chinese.
    users = admin.api("GET", "/api/v1/admin/users")
    target = next(u for u in users if u["username"] == "handler_gjj")
    admin.api("PATCH", f"/api/v1/admin/users/{target['id']}", {"display_name": "公积金承办人"})
    admin.goto("/admin/logs")
    ops = page.locator("[data-test=operations-table]")
    expect(ops).to_contain_text("修改用户")
    expect(ops).to_contain_text("用户 " + str(target["id"]))
    expect(ops).not_to_contain_text("user.update")
    admin.shot(screenshots, "15-admin-operation-log")
    # 导出CSV downloads the log as the server writes it, with the change in it.
    with page.expect_download() as download:
        page.locator("[data-test=export-operations]").click()
    saved = download.value.path()
    assert download.value.suggested_filename == "operations-start-now.csv"
    exported = Path(saved).read_bytes().decode("utf-8-sig")
    assert exported.startswith("编号,链序号,时间（北京时间）,") and "user.update" in exported
    assert "公积金承办人" in exported
    page.get_by_role("tab", name="登录日志").click()
    expect(page.locator("[data-test=logins-table]")).to_contain_text("admin")
    admin.shot(screenshots, "15-admin-login-log")

    # Staff pages are not for the administrator: the page says so.
    admin.goto("/cases")
    expect(page.locator(".el-result__title")).to_have_text("无权访问")
