"""Deployment hardening: security headers everywhere, HSTS over HTTPS only, production
refuses weak secrets and demo data and closes the API reference, Secure cookies, the
client address behind trusted proxies, 429 with Retry-After, the honeypot's answer."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request

from bancheng.cases.models import Case
from bancheng.core import clientip, config
from bancheng.core.config import DEV_SECRET, Settings
from bancheng.core.security_headers import APP_CSP

STRONG = {
    "secret_key": base64.b64encode(os.urandom(33)).decode(),
    "encryption_keys": "k1:" + base64.b64encode(os.urandom(32)).decode(),
}


def _headers_ok(r: Any, https: bool = False) -> None:
    assert r.headers["content-security-policy"] == APP_CSP
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert ("strict-transport-security" in r.headers) is https


def test_security_headers_on_api_console_and_phone_pages(tmp_path: Path) -> None:
    from bancheng.main import create_app

    (tmp_path / "m").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>")
    (tmp_path / "m" / "index.html").write_text("<!doctype html><title>phone</title>")
    with TestClient(create_app(web_dist=tmp_path)) as c:
        for path in ("/api/health", "/", "/m/report", "/api/v1/cases", "/api/v1/nowhere"):
            _headers_ok(c.get(path))
        docs = c.get("/api/docs")
        assert docs.status_code == 200
        assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    with TestClient(create_app(web_dist=tmp_path), base_url="https://testserver") as c:
        _headers_ok(c.get("/api/health"), https=True)
        assert c.get("/").headers["strict-transport-security"].startswith("max-age=31536000")


def test_forwarded_proto_counts_only_from_a_trusted_proxy(monkeypatch, settings) -> None:
    from bancheng.main import create_app

    with TestClient(create_app()) as c:
        r = c.get("/api/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in r.headers  # testclient is not trusted
    with pytest.raises(ValueError, match="BANCHENG_TRUSTED_PROXIES"):
        Settings(trusted_proxies="not-a-network")


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_client_address_behind_trusted_proxies(monkeypatch, settings) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.0/8, 192.168.1.5")
    # From a trusted proxy: the right-most untrusted hop.
    assert clientip.client_address(_request("10.1.2.3", "203.0.113.7, 10.0.0.9")) == ("203.0.113.7")
    assert clientip.client_address(_request("192.168.1.5", "198.51.100.2")) == "198.51.100.2"
    # A forged left-most entry does not win over the address the proxy saw.
    assert clientip.client_address(_request("10.1.2.3", "1.1.1.1, 203.0.113.7")) == ("203.0.113.7")
    # From anyone else the header is ignored.
    assert clientip.client_address(_request("203.0.113.50", "1.1.1.1")) == "203.0.113.50"
    assert clientip.client_address(_request("10.1.2.3", "garbage")) == "10.1.2.3"
    monkeypatch.setattr(settings, "trusted_proxies", "")
    assert clientip.client_address(_request("10.1.2.3", "203.0.113.7")) == "10.1.2.3"


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"secret_key": DEV_SECRET}, "BANCHENG_SECRET_KEY"),
        ({"secret_key": "short-secret"}, "BANCHENG_SECRET_KEY"),
        ({"secret_key": "a" * 40}, "BANCHENG_SECRET_KEY"),
        ({"encryption_keys": None}, "BANCHENG_ENCRYPTION_KEYS"),
        ({"encryption_keys": "k1:" + base64.b64encode(b"\0" * 32).decode()}, "not a random"),
        ({"lookup_key": "lookup"}, "BANCHENG_LOOKUP_KEY"),
        ({"audit_key": "audit-key"}, "BANCHENG_AUDIT_KEY"),
        ({"metrics_token": "metrics"}, "BANCHENG_METRICS_TOKEN"),
        ({"demo_password": "Demo-Passw0rd!"}, "demo data"),
        ({"cookie_secure": False}, "Secure"),
    ],
)
def test_production_refuses_weak_settings(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(env="production", **{**STRONG, **over})


def test_production_defaults(monkeypatch) -> None:
    from bancheng.main import create_app

    prod = Settings(env="production", **STRONG)
    assert prod.secure_cookies is True and prod.docs_open is False
    assert Settings(env="development").secure_cookies is False
    assert Settings(env="production", api_docs=True, **STRONG).docs_open is True
    # No scheduler or outbox worker: they would commit to the suite's shared database.
    quiet = prod.model_copy(update={"jobs_in_serve": False, "outbox_worker_in_serve": False})
    monkeypatch.setattr(config, "get_settings", lambda: quiet)
    with TestClient(create_app()) as c:
        assert c.get("/api/docs").status_code == 404
        assert c.get("/api/openapi.json").status_code == 404


def test_production_never_loads_demo_data(session, monkeypatch, cli) -> None:
    from bancheng import cli as cli_module
    from bancheng.core.errors import Conflict
    from bancheng.demo import load_demo

    prod = Settings(env="production", **STRONG)
    with pytest.raises(Conflict, match=r"demo\.production"):
        load_demo(session, prod, password="x", n_cases=1, seed=1)
    monkeypatch.setattr(cli_module, "get_settings", lambda: prod)
    out = cli("demo", "load", "--cases", "1")
    assert out.exit_code != 0 and "production" in out.output
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_secure_cookies_in_production(client, org, monkeypatch, settings) -> None:
    from tests.conftest import TEST_PASSWORD

    monkeypatch.setattr(settings, "cookie_secure", True)
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": TEST_PASSWORD})
    assert r.status_code == 200
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("Secure" in c and "SameSite=strict" in c for c in cookies)


def test_sign_in_rate_limit_answers_429_with_retry_after(client, org, monkeypatch, settings):
    from datetime import UTC, datetime

    from bancheng.core import clock

    # Ten seconds into a minute: the three attempts fall in one window, whenever this runs.
    clock.set_clock(lambda: datetime(2026, 3, 2, 2, 0, 10, tzinfo=UTC))
    monkeypatch.setattr(settings, "login_rate_limit_per_minute", 2)
    body = {"username": "ghost", "password": "x"}
    codes = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(2)]
    assert codes == [401, 401]
    r = client.post("/api/v1/auth/login", json=body)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert r.headers["retry-after"] == "50"


def test_the_honeypot_answers_like_a_real_acceptance(client, org, session) -> None:
    body = {
        "kind": "cannot_do",
        "description": "办理公积金提取时被要求反复提交材料，跑了三趟还没办成。",
        "name": "李四",
        "phone": "13900001111",
        "hall_id": org.hall.id,
    }
    real = client.post("/api/v1/public/reports", json=body)
    before = session.scalar(select(func.count()).select_from(Case))
    fake = client.post("/api/v1/public/reports", json={**body, "website": "http://spam"})
    assert (real.status_code, fake.status_code) == (201, 201)
    r, f = real.json(), fake.json()
    assert set(r) == set(f)
    assert f["due_date"] == r["due_date"] and f["due_date"] is not None
    assert len(f["token"]) == len(r["token"])
    prefix = r["number"].rsplit("-", 1)[0]
    assert f["number"].startswith(prefix + "-") and len(f["number"]) == len(r["number"])
    assert f["link"] == f"/m/status?no={f['number']}&t={f['token']}"
    assert set(real.headers) - {"content-length"} == set(fake.headers) - {"content-length"}
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_a_configured_map_tile_source_may_serve_images_and_nothing_else(monkeypatch) -> None:
    from bancheng.core.security_headers import app_csp, tile_origin

    assert app_csp("") == APP_CSP
    csp = app_csp("https://{s}.tiles.example.cn/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tiles.example.cn;" in csp
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp
    assert tile_origin("http://127.0.0.1:9000/{z}/{x}/{y}.png") == "http://127.0.0.1:9000"
    for bad in (
        "javascript:alert(1)/{z}/{x}/{y}",
        "https://t.example.cn/tiles.png",
        "ftp://a/{z}/{x}/{y}",
    ):
        with pytest.raises(ValueError, match="BANCHENG_MAP_TILE_URL"):
            Settings(map_tile_url=bad)
