"""The HTTP channel: Standard Webhooks signatures checked by an independent verifier,
retry on 5xx, permanent on 4xx, and the SSRF guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from bancheng.core.errors import Invalid
from bancheng.outbox import http as webhook
from bancheng.outbox import service
from bancheng.outbox.models import OutboxMessage
from bancheng.outbox.worker import Deliverer
from tests.outbox.sinks import HttpSink


def _spec_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the specification's text."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1) for s in headers["webhook-signature"].split(" ")]
    return any(v == "v1" and hmac.compare_digest(sig, expected) for v, sig in sigs)


@pytest.fixture()
def allow_local(settings):
    return settings.model_copy(update={"outbox_allow_private_targets": True})


def test_signed_delivery(committed, allow_local):
    secret = webhook.new_secret()
    with HttpSink() as sink:
        with committed.transaction() as s:
            service.enqueue(
                s,
                channel="webhook",
                kind="webhook.case.created",
                idempotency_key="evt_1",
                recipient=sink.url + "/hook",
                payload={"body": {"type": "case.created", "data": {"number": "BC-2026-000001"}}},
                secrets={"signing_secret": secret},
            )
        r = Deliverer(committed, allow_local).run_once()
        assert r.sent == 1
        [req] = sink.requests
    h = req["headers"]
    assert (req["method"], req["path"], h["content-type"]) == ("POST", "/hook", "application/json")
    assert h["webhook-id"] == "evt_1"
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 30
    assert _spec_verify(secret, h, req["body"])
    assert not _spec_verify(webhook.new_secret(), h, req["body"])
    assert not _spec_verify(secret, h, req["body"].replace(b"000001", b"000002"))
    assert webhook.verify(secret, h, req["body"])
    assert json.loads(req["body"]) == {"type": "case.created", "data": {"number": "BC-2026-000001"}}


def test_5xx_is_retried_and_4xx_is_permanent(committed, allow_local):
    answers = {"/busy": 503, "/gone": 410}
    with HttpSink(lambda r: (answers[r["path"]], b"no")) as sink:
        with committed.transaction() as s:
            for path in answers:
                service.enqueue(
                    s,
                    channel="webhook",
                    kind="webhook.test",
                    idempotency_key=f"evt{path}",
                    recipient=sink.url + path,
                    payload={"body": {}},
                )
        r = Deliverer(committed, allow_local).run_once()
    assert (r.retried, r.dead) == (1, 1)
    with committed.transaction(write=False) as s:
        rows = {
            m.idempotency_key: (m.state, m.last_error) for m in s.scalars(select(OutboxMessage))
        }
    assert rows == {"evt/busy": ("pending", "HTTP 503: no"), "evt/gone": ("dead", "HTTP 410: no")}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "http://127.0.0.1:8000/",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://user:pw@example.com/",
    ],
)
def test_ssrf_guard_refuses(url):
    with pytest.raises(Invalid) as exc:
        webhook.check_url(url, allow_private=False, resolve=False)
    assert exc.value.code == "webhook.url_not_allowed"


def test_ssrf_guard_allows_public_and_private_by_setting():
    assert webhook.check_url("https://114.114.114.114/hook", False, resolve=False)
    assert webhook.check_url("http://127.0.0.1:9/", allow_private=True)


def test_refused_target_is_dead_without_a_request(committed, settings):
    with HttpSink() as sink:
        with committed.transaction() as s:
            service.enqueue(
                s,
                channel="webhook",
                kind="webhook.test",
                idempotency_key="evt-ssrf",
                recipient=sink.url,
                payload={"body": {}},
            )
        assert Deliverer(committed, settings).run_once().dead == 1
        assert sink.requests == []
