"""Locations in a real browser: the phone page attaches the position only after the
reporter switches it on; the ledger lists cases with their locations without a tile
source and draws them on the map with one; the case page shows the location."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Server
from tests.e2e.test_citizen import van_field
from tests.e2e.test_console import SignIn

P = (39.9087, 116.3975)


def _tile_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (214, 228, 236)).save(buf, "PNG")
    return buf.getvalue()


def test_phone_geolocation_with_consent_and_the_ledger_map(
    sign_in: SignIn, server: Server, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        permissions=["geolocation"],
        geolocation={"latitude": P[0], "longitude": P[1], "accuracy": 20},
    )
    ctx.set_default_timeout(15_000)
    mp = ctx.new_page()
    errors: list[str] = []
    mp.on("pageerror", lambda e: errors.append(str(e)))
    mp.goto(server.url("/m/report"))
    van_field(mp, "遇到的问题").fill("小区门口路灯坏了一个月，晚上出入很不安全，反映多次没人修。")
    van_field(mp, "事发地点").fill("幸福路8号小区东门")
    geo = mp.locator("[data-test=geo]")
    expect(geo).to_contain_text("需要您同意后才会读取手机定位")
    geo.locator(".van-switch").click()
    expect(geo).to_contain_text("已获取位置")
    van_field(mp, "姓名").fill("王市民")
    van_field(mp, "手机号").fill(f"139{random.randint(10_000_000, 99_999_999)}")
    mp.screenshot(path=str(screenshots / "mobile-10-location.png"), full_page=True)
    mp.get_by_role("button", name="提交", exact=True).click()
    mp.wait_for_url(re.compile(r"/m/done$"))
    number = (
        mp.locator(".van-cell", has_text="受理编号")
        .locator(".van-cell__value")
        .inner_text()
        .strip()
    )
    assert not errors
    ctx.close()

    clerk = sign_in("clerk")
    page_data = clerk.api("GET", f"/api/v1/cases?q={number}")
    [item] = page_data["items"]
    case = clerk.api("GET", f"/api/v1/cases/{item['id']}")
    loc = case["location"]
    assert (loc["latitude"], loc["longitude"], loc["datum"], loc["source"]) == (
        P[0],
        P[1],
        "wgs84",
        "device",
    )
    assert loc["address"] == "幸福路8号小区东门"

    # The case page shows where.
    page = clerk.goto(f"/cases/{item['id']}")
    expect(page.locator("[data-test=location]")).to_contain_text("幸福路8号小区东门")
    expect(page.locator("[data-test=location]")).to_contain_text("WGS-84")

    # The ledger filtered by address; without a tile source the map is a list.
    page = clerk.goto("/cases?address=" + "幸福路8号")
    page.locator("[data-test=ledger-mode]").get_by_text("地图").click()
    listing = page.locator("[data-test=location-list]")
    expect(listing).to_contain_text(number)
    expect(page.locator("[data-test=case-map]")).to_contain_text("未配置地图底图")
    clerk.shot(screenshots, "40-ledger-location-list")

    # With a tile source (served here by the test), the cases are markers on the map.
    png = _tile_png()
    page.route(
        "**/api/v1/map/config",
        lambda route: route.fulfill(
            json={"tile_url": "/tiles/{z}/{x}/{y}.png", "datum": "gcj02", "attribution": "测试底图"}
        ),
    )
    page.route("**/tiles/**", lambda route: route.fulfill(body=png, content_type="image/png"))
    page.reload()
    page.locator("[data-test=ledger-mode]").get_by_text("地图").click()
    marker = page.locator(".marker")
    expect(marker).to_have_count(1)
    expect(page.locator(".tile").first).to_be_visible()
    clerk.shot(screenshots, "41-ledger-map")
    marker.click()
    page.wait_for_url(re.compile(rf"/cases/{item['id']}$"))
