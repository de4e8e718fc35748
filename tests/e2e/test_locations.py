"""Locations in the browser: the phone page attaches the reporter's position only after
consent; the clerk types an address and GCJ-02 coordinates; the ledger filters by area and
lists the cases' positions when no tile source is set, and draws them on tiles (under the
console's Content-Security-Policy) when one is."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Console, Server, serving
from tests.e2e.test_citizen import phone_page, van_field

# Where the phone reporter stands (WGS-84), kilometres from the clerk-typed cases below.
LAT, LNG = 31.8600, 117.2800


def _tile_png() -> bytes:
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 235)).save(buf, "PNG")
    return buf.getvalue()


class _Tiles(BaseHTTPRequestHandler):
    png = b""
    paths: list[str] = []

    def do_GET(self) -> None:
        _Tiles.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def tile_server() -> Iterator[str]:
    _Tiles.png = _tile_png()
    _Tiles.paths = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.fixture()
def mapped_server(server: Server, tile_server: str) -> Iterator[Server]:
    """A second instance on the same database, with a map tile source configured."""
    env = {
        **os.environ,
        "BANCHENG_DATA_DIR": str(server.data_dir),
        "BANCHENG_DEMO_PASSWORD": server.password,
        "BANCHENG_ENV": "development",
        "BANCHENG_MAP_TILE_URL": tile_server + "/{z}/{x}/{y}.png",
        "BANCHENG_MAP_TILE_DATUM": "wgs84",
        "BANCHENG_MAP_ATTRIBUTION": "测试底图",
        "BANCHENG_JOBS_IN_SERVE": "false",
    }
    env.pop("BANCHENG_DATABASE_URL", None)
    with serving(env, server.data_dir, "serve-map.log") as base:
        yield Server(base=base, data_dir=server.data_dir, password=server.password)


def _console(server: Server, browser: Any, username: str) -> Console:
    ctx = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    ctx.set_default_timeout(15_000)
    return Console(server, ctx, username).login()


def test_phone_page_attaches_the_position_only_after_consent(
    server: Server, browser: Any, sign_in: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    hall = clerk.api("GET", "/api/v1/halls")[0]
    ctx, mp, errors = phone_page(browser)
    ctx.grant_permissions(["geolocation"])
    ctx.set_geolocation({"latitude": LAT, "longitude": LNG, "accuracy": 25})
    mp.goto(server.url(f"/m/report?hall={hall['id']}"))
    geo = mp.locator("[data-test=geo]")
    expect(geo).to_contain_text("需要您同意后才会读取手机定位")
    van_field(mp, "遇到的问题").fill("在政务大厅办理社保卡补办，说要回户籍地办理，跑了两趟没办成。")
    van_field(mp, "事发地点").fill("蜀山区潜山路100号政务大厅")
    mp.get_by_role("switch", name="附上我的位置").click()
    expect(geo).to_contain_text("已获取位置（精度约25米）")
    van_field(mp, "姓名").fill("王定位")
    van_field(mp, "手机号").fill("13955550101")
    mp.screenshot(path=str(screenshots / "mobile-30-location.png"), full_page=True)
    mp.get_by_role("button", name="提交", exact=True).click()
    mp.wait_for_url(re.compile(r"/m/done$"))
    number = mp.locator(".van-cell", has_text="受理编号").locator(".van-cell__value").inner_text()
    assert not errors, errors
    ctx.close()

    found = clerk.api("GET", f"/api/v1/cases?q={number}")
    assert found["total"] == 1
    [row] = found["items"]
    assert row["address"] == "蜀山区潜山路100号政务大厅"
    assert (round(row["wgs84_lat"], 6), round(row["wgs84_lng"], 6)) == (LAT, LNG)
    case = clerk.api("GET", f"/api/v1/cases/{row['id']}")
    assert case["location"]["datum"] == "wgs84"

    # Without consent (the switch left off) no position goes with the report.
    ctx2, mp2, errors2 = phone_page(browser)
    ctx2.grant_permissions(["geolocation"])
    ctx2.set_geolocation({"latitude": LAT, "longitude": LNG})
    mp2.goto(server.url(f"/m/report?hall={hall['id']}"))
    van_field(mp2, "遇到的问题").fill("办理不动产登记，窗口要求提供的证明材料前后说法不一致。")
    van_field(mp2, "姓名").fill("王未定位")
    van_field(mp2, "手机号").fill("13955550102")
    mp2.get_by_role("button", name="提交", exact=True).click()
    mp2.wait_for_url(re.compile(r"/m/done$"))
    number2 = mp2.locator(".van-cell", has_text="受理编号").locator(".van-cell__value").inner_text()
    assert not errors2, errors2
    ctx2.close()
    [row2] = clerk.api("GET", f"/api/v1/cases?q={number2}")["items"]
    assert (row2["address"], row2["wgs84_lat"], row2["wgs84_lng"]) == (None, None, None)


def _clerk_case(clerk: Console, address: str, lat: float, lng: float) -> dict[str, Any]:
    """A case typed in by the clerk with a GCJ-02 position (what 高德 shows)."""
    page = clerk.goto("/cases/new")
    from playwright.sync_api import expect

    expect(page.get_by_placeholder("可不填：街道门牌、小区、路口")).to_be_visible()
    expect(page.get_by_role("combobox", name="坐标：GCJ-02（高德、腾讯地图）")).to_be_visible()
    matter = clerk.api("GET", "/api/v1/matters")[0]
    created = clerk.api(
        "POST",
        "/api/v1/cases",
        {
            "kind": "cannot_do",
            "channel": "window",
            "matter_id": matter["id"],
            "title": "定位测试：窗口称需回户籍地办理",
            "description": "群众反映在大厅办理社保卡补办时被告知需回户籍地，无法在本地办理。",
            "reporter": {"type": "person", "name": "赵地图", "phone": "13955550103"},
            "location": {
                "address": address,
                "latitude": lat,
                "longitude": lng,
                "datum": "gcj02",
            },
        },
    )
    return dict(created)


def test_ledger_filters_by_area_and_lists_positions_without_tiles(
    sign_in: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    clerk = sign_in("clerk")
    case = _clerk_case(clerk, "蜀山区望江西路66号", 31.8185, 117.2328)
    assert case["location"]["datum"] == "gcj02"
    lat, lng = case["location"]["wgs84_lat"], case["location"]["wgs84_lng"]
    # GCJ-02 is offset from WGS-84 by a few hundred metres in mainland China.
    assert 0.0005 < abs(lat - 31.8185) + abs(lng - 117.2328) < 0.02

    page = clerk.goto("/cases")
    page.get_by_role("button", name="更多条件").click()
    bbox = f"{lng - 0.001:.6f},{lat - 0.001:.6f},{lng + 0.001:.6f},{lat + 0.001:.6f}"
    page.get_by_placeholder("最小经度,最小纬度,最大经度,最大纬度").fill(bbox)
    page.locator("[data-test=filter-search]").click()
    expect(page.locator(".el-table__body tr")).to_have_count(1)
    expect(page.locator(".el-table__body")).to_contain_text(case["number"])
    page.locator("[data-test=ledger-mode]").get_by_text("地图").click()
    listing = page.locator("[data-test=location-list]")
    expect(listing).to_contain_text("蜀山区望江西路66号")
    expect(listing).to_contain_text(f"{lat:.5f}, {lng:.5f}")
    expect(page.locator("[data-test=case-map]")).to_contain_text("未配置地图底图")
    clerk.shot(screenshots, "40-ledger-locations-list")


def test_ledger_draws_cases_on_configured_tiles(
    mapped_server: Server, browser: Any, tile_server: str, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    clerk = _console(mapped_server, browser, "clerk")
    try:
        case = _clerk_case(clerk, "包河区徽州大道88号", 31.7650, 117.3010)
        lat, lng = case["location"]["wgs84_lat"], case["location"]["wgs84_lng"]
        page = clerk.goto("/cases")
        page.get_by_role("button", name="更多条件").click()
        bbox = f"{lng - 0.05:.6f},{lat - 0.05:.6f},{lng + 0.05:.6f},{lat + 0.05:.6f}"
        page.get_by_placeholder("最小经度,最小纬度,最大经度,最大纬度").fill(bbox)
        page.locator("[data-test=filter-search]").click()
        # The table first shows the unfiltered ledger (which also holds the new case), so
        # the expected count comes from the API and the table must reach it.
        listed = clerk.api("GET", f"/api/v1/cases?bbox={bbox}&page_size=20")
        rows = len(listed["items"])
        assert case["id"] in {c["id"] for c in listed["items"]}
        expect(page.locator(".el-table__body tr")).to_have_count(rows)
        expect(page.locator(".el-table__body")).to_contain_text(case["number"])
        page.locator("[data-test=ledger-mode]").get_by_text("地图").click()
        the_map = page.locator("[data-test=case-map] .map")
        expect(the_map).to_be_visible()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-test=case-map] img.tile')]"
            ".every(i => i.complete && i.naturalWidth === 256)"
        )
        assert page.locator("[data-test=case-map] img.tile").count() >= 1
        assert _Tiles.paths and all(re.fullmatch(r"/\d+/\d+/\d+\.png", p) for p in _Tiles.paths)
        markers = page.locator("[data-test=case-map] .marker")
        expect(markers).to_have_count(rows)
        expect(the_map).to_contain_text("测试底图")
        clerk.shot(screenshots, "41-ledger-map")
        page.locator(f"[data-test=case-map] .marker[title^='{case['number']}']").click()
        page.wait_for_url(re.compile(rf"/cases/{case['id']}$"))
        assert not clerk.errors, clerk.errors
    finally:
        clerk.context.close()
