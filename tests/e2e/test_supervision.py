"""Browser test: a supervisor creates a joint meeting from two cases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.test_console import choose, field


def test_joint_meeting_from_two_cases(sign_in: Any, screenshots: Path) -> None:
    sup = sign_in("supervisor")
    cases = sup.api("GET", "/api/v1/cases?page_size=2&sort=number&order=asc")["items"]
    ids = [c["id"] for c in cases]
    departments = sup.api("GET", "/api/v1/departments")
    unit = next(d for d in departments if d.get("level") == "city" and d.get("parent_id"))

    page = sup.goto(f"/supervision/meetings?cases={ids[0]},{ids[1]}")
    dialog = page.locator(".el-dialog:visible").last
    expect(dialog).to_contain_text("新建联席会议")
    expect(field(page, "meeting-cases")).to_have_value(f"{ids[0]},{ids[1]}")
    field(page, "meeting-title").fill("跨部门材料互认联席会议")

    # A decision without a responsible unit is refused and marked.
    dialog.locator("[data-test=add-decision]").click()
    field(page, "decision-content-0").fill("两部门共享登记信息")
    dialog.locator("[data-test=save-meeting]").click()
    expect(page.locator(".el-message--error").last).to_be_visible()
    expect(dialog.locator(".decision.bad")).to_have_count(1)

    choose(page, dialog.locator("[data-test=decision-dept-0]"), unit["name"])
    sup.shot(screenshots, "supervision-meeting-form", full_page=False)
    dialog.locator("[data-test=save-meeting]").click()
    expect(page.locator(".el-message--success").last).to_contain_text("已创建")
    expect(page.locator(".el-table__body")).to_contain_text("跨部门材料互认联席会议")

    meetings = sup.api("GET", "/api/v1/supervision/meetings")
    m = next(x for x in meetings if x["title"] == "跨部门材料互认联席会议")
    assert [c["id"] for c in m["cases"]] == sorted(ids)
    assert m["decisions"][0]["responsible_department_name"] == unit["name"]
    assert re.match(r"\d{4}-\d{2}-\d{2}$", m["decisions"][0]["due_date"])
    sup.shot(screenshots, "supervision-meetings")
