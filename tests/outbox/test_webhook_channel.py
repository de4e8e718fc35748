"""The HTTP channel: Standard Webhooks signatures checked by an independent verifier,
retry on 5xx, permanent on 4xx, and the SSRF guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bancheng.core.errors import Invalid
from bancheng.outbox import http as webhook
from bancheng.outbox import service
from bancheng.outbox.models import OutboxMessage
from bancheng.outbox.worker import Deliverer
from tests.outbox.sinks import HttpSink, self_signed


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


def _hook(s, key: str, url: str, body: Any, kind: str = "webhook.test", **secrets: str) -> None:
    """Enqueue webhook message ``key`` in ``s``: POST ``body`` to ``url``; ``secrets`` (the
    signing secret) go with it when given."""
    service.enqueue(
        s,
        channel="webhook",
        kind=kind,
        idempotency_key=key,
        recipient=url,
        payload={"body": body},
        secrets=secrets or None,
    )


def test_signed_delivery(committed, allow_local):
    secret = webhook.new_secret()
    with HttpSink() as sink:
        with committed.transaction() as s:
            _hook(
                s,
                "evt_1",
                sink.url + "/hook",
                {"type": "case.created", "data": {"number": "BC-2026-000001"}},
                kind="webhook.case.created",
                signing_secret=secret,
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
                _hook(s, f"evt{path}", sink.url + path, {})
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
            _hook(s, "evt-ssrf", sink.url, {})
        assert Deliverer(committed, settings).run_once().dead == 1
        assert sink.requests == []


# --- DNS rebinding: the connection goes to the address that was checked ----------------------


class _Resolver:
    """``socket.getaddrinfo`` for the names of a test: each name answers its addresses in
    turn (the last one from then on); other names go to the real resolver."""

    def __init__(self, real, answers: dict[str, list[str]]) -> None:
        self.real, self.answers = real, answers
        self.calls: list[str] = []

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.calls.append(host)
        seq = self.answers[host]
        addr = seq.pop(0) if len(seq) > 1 else seq[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (addr, int(port)))]


@pytest.fixture()
def resolver(monkeypatch):
    def install(answers: dict[str, list[str]]) -> _Resolver:
        fake = _Resolver(socket.getaddrinfo, answers)
        # The module attribute: the guard, httpcore's backend and socket.create_connection
        # all resolve through it.
        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return fake

    return install


def _enqueue_one(committed, url: str, key: str) -> None:
    with committed.transaction() as s:
        _hook(s, key, url, {"n": 1})


def _row(committed, key: str) -> tuple[str, str | None, int]:
    with committed.transaction(write=False) as s:
        m = s.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
        return m.state, m.last_error, m.attempts


def test_a_name_rebound_to_a_private_address_after_the_check_gets_no_request(
    committed, settings, resolver
):
    with HttpSink() as sink:
        port = sink.server.server_address[1]
        # Public to the guard's look-up, loopback to every look-up after it.
        fake = resolver({"rebind.example.com": ["93.184.216.34", "127.0.0.1"]})
        _enqueue_one(committed, f"http://rebind.example.com:{port}/hook", "evt-rebind")
        r = Deliverer(committed, settings).run_once()
        assert (r.claimed, r.sent, r.dead) == (1, 0, 1)
        assert sink.requests == []
    # The guard's look-up and the connection's: the second answer was refused, not used.
    assert fake.calls == ["rebind.example.com", "rebind.example.com"]
    refused = "webhook.url_not_allowed: 不能使用本机或内网地址"
    assert _row(committed, "evt-rebind") == ("dead", refused, 1)


def test_the_pinned_backend_connects_to_the_checked_address_only(resolver):
    fake = resolver({"rebind.example.com": ["93.184.216.34", "127.0.0.1"]})
    backend = webhook.PinnedBackend(allow_private=False)
    webhook.check_url("http://rebind.example.com/", allow_private=False)  # public: passes
    with pytest.raises(Invalid) as exc:
        backend.connect_tcp("rebind.example.com", 80, timeout=1)
    assert exc.value.code == "webhook.url_not_allowed"
    with pytest.raises(Invalid):
        backend.connect_tcp("127.0.0.1", 80, timeout=1)
    with pytest.raises(Invalid):
        backend.connect_tcp("::ffff:127.0.0.1", 80, timeout=1)
    assert fake.calls == ["rebind.example.com", "rebind.example.com"]


def test_an_allowed_name_is_delivered_to_its_resolved_address_with_its_host(
    committed, allow_local, resolver
):
    secret = webhook.new_secret()
    with HttpSink() as sink:
        port = sink.server.server_address[1]
        fake = resolver({"receiver.test": ["127.0.0.1"]})
        with committed.transaction() as s:
            _hook(
                s, "evt-named", f"http://receiver.test:{port}/in", {"n": 1}, signing_secret=secret
            )
        r = Deliverer(committed, allow_local).run_once()
        assert (r.claimed, r.sent) == (1, 1)
        [req] = sink.requests
    assert (req["method"], req["path"], req["headers"]["host"]) == (
        "POST",
        "/in",
        f"receiver.test:{port}",
    )
    assert webhook.verify(secret, req["headers"], req["body"])
    assert json.loads(req["body"]) == {"n": 1}
    assert fake.calls == ["receiver.test"]  # allowed: the guard does not look it up
    assert _row(committed, "evt-named") == ("sent", None, 1)


def test_https_keeps_the_name_for_sni_and_the_certificate_check(tmp_path, resolver):
    """The connection is pinned to 127.0.0.1, but TLS is about the name: the certificate
    (for ``localhost`` and 127.0.0.1) verifies for ``localhost`` and not for another name
    that resolves to 127.0.0.1."""
    cert, key = self_signed(str(tmp_path))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    sni: list[str | None] = []
    server_ctx.sni_callback = lambda _sock, name, _ctx: sni.append(name)  # type: ignore[assignment]
    client_ctx = ssl.create_default_context(cafile=cert)
    resolver({"other.test": ["127.0.0.1"]})
    with HttpSink() as sink:
        sink.server.socket = server_ctx.wrap_socket(sink.server.socket, server_side=True)
        port = sink.server.server_address[1]
        with httpx.Client(
            transport=webhook.PinnedTransport(allow_private=True, verify=client_ctx)
        ) as client:
            r = client.post(f"https://localhost:{port}/tls", content=b"{}")
            assert r.status_code == 200
            with pytest.raises(httpx.ConnectError) as exc:
                client.post(f"https://other.test:{port}/tls", content=b"{}")
        assert [x["path"] for x in sink.requests] == ["/tls"]
        assert sink.requests[0]["headers"]["host"] == f"localhost:{port}"
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc.value)
    assert sni == ["localhost", "other.test"]
