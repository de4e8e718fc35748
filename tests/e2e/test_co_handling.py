"""Lead and co-handling units in the console: the clerk dispatches with a lead and two
co-handlers (prefilled from the dispatch catalogue), each co-handler replies from its inbox,
the lead resolves once one reply is still out and says why; a unit objects to a dispatch
(退单) and the clerk rejects the objection."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import SignIn, window_case
from tests.e2e.test_console import act, expect_state, field, submit

pytestmark = pytest.mark.e2e

CASE = window_case(
    "cannot_do",
    "公积金贷款抵押解押协办测试",
    "申请公积金贷款时房产抵押尚未解押，需要不动产登记和社保缴存记录配合核实",
    "赵六",
    "13800002222",
)


def test_lead_and_co_handlers_through_the_console(sign_in: SignIn, screenshots: Path) -> None:
    from playwright.sync_api import expect

    admin = sign_in("admin")
    units = {d["name"]: d["id"] for d in admin.api("GET", "/api/v1/departments")}
    fund, estate, hrss = (
        units["云川市住房公积金管理中心"],
        units["云川市不动产登记中心"],
        units["云川市人力资源和社会保障局"],
    )
    admin.api(
        "POST",
        "/api/v1/dispatch-catalogue",
        {
            "matter": "公积金贷款抵押解押",
            "keywords": ["抵押解押"],
            "department_id": fund,
            "co_department_ids": [estate, hrss],
        },
    )

    # The catalogue page lists the entry with its lead and co-handling units.
    cp = admin.goto("/org/dispatch-catalogue")
    row = cp.locator("[data-test=catalogue-table] .el-table__row", has_text="公积金贷款抵押解押")
    expect(row).to_contain_text("云川市住房公积金管理中心")
    expect(row).to_contain_text("云川市不动产登记中心、云川市人力资源和社会保障局")
    admin.shot(screenshots, "43-dispatch-catalogue")

    clerk = sign_in("clerk")
    created = clerk.api("POST", "/api/v1/cases", CASE)
    if created["state"] != "registered":  # an automatic dispatch: take it back first
        clerk.api(
            "POST",
            f"/api/v1/cases/{created['id']}/actions/recall",
            {"version": created["version"], "reason": "需指定协办单位"},
        )
    cid, number = created["id"], created["number"]
    page = clerk.goto(f"/cases/{cid}")
    dialog = act(page, "dispatch")
    # The catalogue's match prefills the lead and the co-handlers.
    expect(dialog.locator("[data-test=catalogue-matches]")).to_contain_text("公积金贷款抵押解押")
    co_field = dialog.locator("[data-test=field-co-departments]")
    expect(co_field).to_contain_text("云川市不动产登记中心")
    expect(co_field).to_contain_text("云川市人力资源和社会保障局")
    field(dialog, "field-co-workdays").fill("5")
    field(dialog, "field-co-workdays").press("Tab")
    clerk.shot(screenshots, "40-dispatch-lead-and-co-handlers", full_page=False)
    submit(dialog)
    expect_state(page, "已派单")
    co_card = page.locator("[data-test=co-handlers]")
    expect(co_card).to_contain_text("主办单位：云川市住房公积金管理中心")
    expect(co_card.locator(".el-table__row")).to_have_count(2)
    expect(co_card).to_contain_text("5个工作日")
    expect(co_card).to_contain_text("待回复")

    # The estate registry finds the case in its inbox under 待协办回复 and replies.
    bdc = sign_in("handler_bdc")
    bp = bdc.goto("/inbox")
    bp.locator("[data-test=inbox-tab-co_reply]").click()
    expect(bp.locator("[data-test=case-table]")).to_contain_text(number)
    bp.locator("[data-test=case-table]").get_by_role("link", name=number).click()
    expect(bp.locator("[data-test=case-number]")).to_have_text(number)
    expect(bp.locator("[data-test=action-accept]")).to_have_count(0)
    dialog = act(bp, "co_reply")
    field(dialog, "field-reply").fill("该房产抵押已于上月解押，登记信息已更新。")
    submit(dialog)
    expect(bp.locator("[data-test=co-handlers]")).to_contain_text("该房产抵押已于上月解押")
    expect(bp.locator("[data-test=action-co_reply]")).to_have_count(0)
    bp = bdc.goto("/inbox")
    bp.locator("[data-test=inbox-tab-co_reply]").click()
    expect(bp.locator("[data-test=case-table]")).not_to_contain_text(number)

    # The lead objects to the dispatch; the clerk rejects the objection with a reason.
    gjj = sign_in("handler_gjj")
    gp = gjj.goto(f"/cases/{cid}")
    dialog = act(gp, "object")
    field(dialog, "field-reason").fill("解押属不动产登记中心职责")
    submit(dialog)
    expect(gp.locator("[data-test=objections]")).to_contain_text("待审批")
    page = clerk.goto(f"/cases/{cid}")
    dialog = act(page, "decide_objection")
    expect(dialog.locator("[data-test=pending-objection]")).to_contain_text(
        "解押属不动产登记中心职责"
    )
    dialog.get_by_text("不同意退单（仍由原单位办理）").click()
    submit(dialog)
    expect(dialog.locator(".el-form-item__error")).to_contain_text("请填写不同意退单的理由")
    field(dialog, "field-decision-note").fill("贷款审批由公积金中心主办，不动产登记中心已协办回复")
    field(dialog, "field-decision-note").blur()
    expect(dialog.locator(".el-form-item__error")).to_have_count(0)
    clerk.shot(screenshots, "41-objection-decision", full_page=False)
    submit(dialog)
    expect(page.locator("[data-test=objections]")).to_contain_text("不同意")
    expect(page.locator("[data-test=timeline]")).to_contain_text("不同意退单")
    expect_state(page, "已派单")

    # The lead resolves while the social-security bureau's reply is still out: it says why.
    gp = gjj.goto(f"/cases/{cid}")
    submit(act(gp, "accept"))
    expect_state(gp, "已签收")
    submit(act(gp, "start"))
    expect_state(gp, "办理中")
    dialog = act(gp, "resolve")
    expect(dialog.locator("[data-test=co-outstanding]")).to_contain_text(
        "云川市人力资源和社会保障局"
    )
    dialog.locator("[data-test=outcome-done]").click()
    field(dialog, "field-resolution").fill("已核实解押，贷款申请已受理")
    submit(dialog)
    expect(dialog.locator(".el-form-item__error")).to_contain_text(
        "请说明不等待协办回复即办结的理由"
    )
    field(dialog, "field-co-note").fill("社保缴存记录已由申请人自行提供，不再等待人社局回复")
    submit(dialog)
    expect_state(gp, "已办结")
    co_card = gp.locator("[data-test=co-handlers]")
    expect(co_card).to_contain_text("已回复")
    expect(co_card).to_contain_text("未回复即办结")
    timeline = gp.locator("[data-test=timeline]")
    expect(timeline).to_contain_text("协办回复")
    expect(timeline).to_contain_text("社保缴存记录已由申请人自行提供")
    expect(timeline).to_contain_text("未回复的协办单位：云川市人力资源和社会保障局")
    gjj.shot(screenshots, "42-case-co-handlers-and-replies")
