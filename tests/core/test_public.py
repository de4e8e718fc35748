"""Public endpoints: apart from staff ones, rate-limited per client."""

from __future__ import annotations

from fastapi.routing import APIRoute

from bancheng.core.ratelimit import RateLimit
from bancheng.main import _routers


def test_every_public_route_is_rate_limited_and_no_staff_route_is_public():
    public = []
    for router in _routers():
        for route in router.routes:  # type: ignore[attr-defined]
            if not isinstance(route, APIRoute):
                continue
            calls = [d.call for d in route.dependant.dependencies]
            limited = any(isinstance(c, RateLimit) for c in calls)
            if route.path.startswith("/api/v1/public"):
                public.append(route.path)
                assert limited, route.path
            else:
                assert not route.path.startswith("/api/v1/public")
    assert public


def test_public_options_without_account_then_rate_limited(client, org, settings, monkeypatch):
    from datetime import UTC, datetime

    from bancheng.core import clock

    fixed = datetime(2026, 11, 21, 8, 0, 10, tzinfo=UTC)  # well inside one minute window
    clock.set_clock(lambda: fixed)
    client.cookies.clear()
    monkeypatch.setattr(settings, "public_rate_limit_per_minute", 3)
    r = client.get("/api/v1/public/options")
    assert r.status_code == 200
    body = r.json()
    assert body["kinds"]["cannot_do"] == "办不成事"
    assert [m["name"] for m in body["matters"]] == ["住房公积金提取", "不动产登记"]
    assert client.get("/api/v1/public/options").status_code == 200
    assert client.get("/api/v1/public/options").status_code == 200
    r = client.get("/api/v1/public/options")
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
