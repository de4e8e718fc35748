"""/metrics: who may read it, and what it counts."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bancheng.core.config import get_settings
from bancheng.core.observability import job_timer
from tests.conftest import case_payload, login

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture()
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    settings = get_settings()
    monkeypatch.setattr(settings, "metrics_token", TOKEN)
    monkeypatch.setattr(settings, "metrics_cache_seconds", 0.0)
    return TOKEN


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(r.text):  # a real parser, not a grep
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(m: dict[Any, float], name: str, **labels: str) -> float:
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_refuse_without_token_or_allowed_address(
    client: TestClient, org: Any, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = client.get("/metrics")
    assert r.status_code == 403 and r.json()["code"] == "metrics.forbidden"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    # A signed-in administrator is no monitoring system.
    login(client, "admin")
    assert client.get("/metrics").status_code == 403
    client.cookies.clear()
    # The test client's address is "testclient", not an address: an allow-all network
    # list still refuses it, while a real address in the list is let through.
    monkeypatch.setattr(get_settings(), "metrics_allow", "0.0.0.0/0,::/0")
    assert client.get("/metrics").status_code == 403
    local = TestClient(client.app, client=("10.1.2.3", 5000))
    monkeypatch.setattr(get_settings(), "metrics_allow", "10.1.0.0/16")
    assert local.get("/metrics").status_code == 200
    monkeypatch.setattr(get_settings(), "metrics_allow", "127.0.0.1")
    assert local.get("/metrics").status_code == 403


def test_metrics_count_requests_errors_cases_jobs_and_refusals(
    client: TestClient, org: Any, token: str, session: Any
) -> None:
    before = _scrape(client)
    headers = login(client, "clerk")
    for _ in range(2):
        assert client.post("/api/v1/cases", json=case_payload(), headers=headers).status_code == 201
    assert client.get("/api/v1/cases/999999").status_code == 404
    with job_timer("test.job"):
        pass
    with pytest.raises(RuntimeError), job_timer("test.job"):
        raise RuntimeError("boom")
    after = _scrape(client)

    route = dict(method="POST", route="/api/v1/cases", status="201")
    assert (
        _value(after, "bancheng_http_requests_total", **route)
        - _value(before, "bancheng_http_requests_total", **route)
        == 2
    )
    lat = dict(method="POST", route="/api/v1/cases")
    assert (
        _value(after, "bancheng_http_request_duration_seconds_count", **lat)
        - _value(before, "bancheng_http_request_duration_seconds_count", **lat)
        == 2
    )
    # The route template, never the id in the path.
    nf = dict(method="GET", route="/api/v1/cases/{case_id}", status="404")
    assert _value(after, "bancheng_http_requests_total", **nf) >= 1
    assert not any("999999" in str(k) for k in after)
    err = dict(status="404", code="case.not_found")
    assert (
        _value(after, "bancheng_http_errors_total", **err)
        - _value(before, "bancheng_http_errors_total", **err)
        == 1
    )
    assert (
        _value(after, "bancheng_cases", state="registered")
        - _value(before, "bancheng_cases", state="registered")
        == 2
    )
    assert (
        _value(after, "bancheng_open_cases_by_light", light="green")
        - _value(before, "bancheng_open_cases_by_light", light="green")
        == 2
    )
    for outcome in ("ok", "failed"):
        key = dict(job="test.job", outcome=outcome)
        assert (
            _value(after, "bancheng_job_runs_total", **key)
            - _value(before, "bancheng_job_runs_total", **key)
            == 1
        )
    assert _value(after, "bancheng_job_duration_seconds_count", job="test.job") >= 2

    # The outbox: what waits, by channel, as the database has it; the lag of the oldest.
    from datetime import timedelta

    from sqlalchemy import func, select

    from bancheng.core import clock
    from bancheng.outbox.models import OutboxMessage
    from bancheng.outbox.service import enqueue

    enqueue(session, channel="email", kind="test", idempotency_key="m1", recipient="a@b.cn")
    enqueue(
        session,
        channel="email",
        kind="test",
        idempotency_key="m2",
        recipient="a@b.cn",
        not_before=clock.now() - timedelta(minutes=10),
    )
    session.commit()
    expected = dict(
        session.execute(
            select(OutboxMessage.channel, func.count())
            .where(OutboxMessage.state == "pending")
            .group_by(OutboxMessage.channel)
        ).all()
    )
    scraped = _scrape(client)
    assert expected["email"] == 2
    for channel, n in expected.items():
        assert _value(scraped, "bancheng_outbox_messages", channel=channel, state="pending") == n
    assert 590 < _value(scraped, "bancheng_outbox_oldest_due_seconds") < 1200


def test_rate_limit_refusals_are_counted(
    client: TestClient, org: Any, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "public_rate_limit_per_minute", 1)
    before = _value(_scrape(client), "bancheng_rate_limit_refusals_total", bucket="public")
    codes = [client.get("/api/v1/public/options").status_code for _ in range(3)]
    assert codes[-1] == 429
    after = _value(_scrape(client), "bancheng_rate_limit_refusals_total", bucket="public")
    assert after - before == codes.count(429)
