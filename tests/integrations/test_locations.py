"""Locations: typed by the clerk (either datum), from the phone page's geolocation, the
ledger's area and address filters, and similar cases weighed by distance."""

from __future__ import annotations

import math

import pytest

from bancheng.core import geo
from tests.cases.helpers import as_user
from tests.intake.test_public_reports import report

NOISE = {
    "title": "小区旁边工地夜间施工噪音扰民",
    "description": "某某小区旁边的建筑工地每天晚上十一点后还在施工，噪音严重影响居民休息",
}
P = (39.9087, 116.3975)  # WGS-84


pytestmark = pytest.mark.usefixtures("fresh_index")


def _at(lat: float, lng: float, datum: str = "wgs84", **over):
    return {
        "location": {
            "address": over.pop("address", None),
            "latitude": lat,
            "longitude": lng,
            "datum": datum,
        },
        **over,
    }


def test_datum_conversion_round_trips_and_stays_put_abroad():
    glat, glng = geo.wgs84_to_gcj02(*P)
    shift = geo.distance_m(P[0], P[1], glat, glng)
    assert 300 < shift < 700  # GCJ-02 is a few hundred metres off in Beijing
    back = geo.gcj02_to_wgs84(glat, glng)
    assert geo.distance_m(P[0], P[1], *back) < 0.05
    assert geo.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    # One degree of latitude is about 111 km.
    assert math.isclose(geo.distance_m(30, 120, 31, 120), 111195, rel_tol=1e-3)


def test_clerk_location_ledger_area_and_address_filters(client, org):
    clerk = as_user(client, "clerk")
    glat, glng = geo.wgs84_to_gcj02(*P)
    near = clerk.create(title="近处", **_at(glat, glng, "gcj02", address="人民路1号"))
    far = clerk.create(title="远处", **_at(31.2304, 121.4737, address="上海人民广场"))
    clerk.create(title="无位置")
    detail = clerk.get(near["id"])
    loc = detail["location"]
    assert (loc["datum"], loc["source"], loc["address"]) == ("gcj02", "clerk", "人民路1号")
    assert geo.distance_m(loc["wgs84_lat"], loc["wgs84_lng"], *P) < 0.05
    box = geo.BBox.around(P[0], P[1], 2000)
    bbox = f"{box.min_lng},{box.min_lat},{box.max_lng},{box.max_lat}"
    page = client.get("/api/v1/cases", params={"bbox": bbox}).json()
    assert [i["id"] for i in page["items"]] == [near["id"]]
    page = client.get("/api/v1/cases", params={"address": "上海"}).json()
    assert [i["id"] for i in page["items"]] == [far["id"]]
    r = client.get("/api/v1/cases", params={"bbox": "1,2,3"})
    assert (r.status_code, r.json()["code"]) == (400, "case.bbox_invalid")
    r = client.post(
        "/api/v1/cases",
        json={**clerk_payload(), "location": {"latitude": 39.9}},
        headers=clerk.headers,
    )
    assert (r.status_code, r.json()["code"]) == (400, "case.location_incomplete")


def clerk_payload():
    from tests.conftest import case_payload

    return case_payload()


def test_phone_page_geolocation(client, org, session):
    from sqlalchemy import select

    from bancheng.cases.models import Case

    out = report(client, location={"latitude": P[0], "longitude": P[1], "datum": "wgs84"})
    case = session.scalar(select(Case).where(Case.number == out["number"]))
    assert (case.latitude, case.coord_datum, case.location_source) == (P[0], "wgs84", "device")


def test_similar_cases_weigh_distance(client, org):
    clerk = as_user(client, "clerk")
    # Same words; one 300 m away, one 20 km away, one without coordinates.
    near = clerk.create(**NOISE, **_at(P[0] + 0.0027, P[1]))
    far = clerk.create(**NOISE, **_at(P[0] + 0.18, P[1]))
    nowhere = clerk.create(**NOISE)
    target = clerk.create(**NOISE, **_at(*P))
    rows = client.get(f"/api/v1/cases/{target['id']}/similar").json()
    assert rows[0]["id"] == near["id"]
    assert {r["id"] for r in rows[1:]} == {far["id"], nowhere["id"]}
    by_id = {r["id"]: r for r in rows}
    assert 250 < by_id[near["id"]]["distance_m"] < 350
    assert by_id[nowhere["id"]]["distance_m"] is None
    # 300 m keeps most of the text score; 20 km is as good as unknown.
    text = by_id[near["id"]]["text_score"]
    assert by_id[near["id"]]["score"] == round(text * (0.7 + 0.3 * math.exp(-0.3)), 3)
    assert by_id[far["id"]]["score"] == by_id[nowhere["id"]]["score"] == round(text * 0.7, 3)
    # Without the weight the text alone decides (equal texts: equal scores).
    plain = client.get(
        f"/api/v1/cases/{target['id']}/similar", params={"distance_weight": 0}
    ).json()
    assert {r["distance_m"] for r in plain} == {None}
    assert len({r["score"] for r in plain}) == 1
