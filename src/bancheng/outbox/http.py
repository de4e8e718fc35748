"""The HTTP channel (``webhook``): a JSON POST, signed with the Standard Webhooks scheme
when the message carries a signing secret, to an address the SSRF guard allows.

Standard Webhooks (https://www.standardwebhooks.com): headers ``webhook-id`` (the
message's idempotency key, the same on every retry), ``webhook-timestamp`` (Unix seconds
of this attempt) and ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key,
"{id}.{timestamp}.{body}")), where the key is the base64-decoded part of ``whsec_...``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from bancheng.core.config import Settings
from bancheng.core.errors import Invalid
from bancheng.outbox.channels import Delivered, DeliveryError, Outgoing

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (used by the tests and the benchmark's sink)."""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, ts = h["webhook-id"], int(h["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    return any(
        hmac.compare_digest(expected, part.split(",", 1)[1])
        for part in h.get("webhook-signature", "").split()
        if part.startswith("v1,")
    )


# --- SSRF guard ----------------------------------------------------------------------------


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


def check_url(url: str, allow_private: bool, resolve: bool = True) -> str:
    """Refuse anything but http(s) to a public address (``webhook.url_not_allowed``).
    With ``resolve`` every address the name resolves to is checked, at send time too."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("webhook.url_not_allowed", "只能使用 http 或 https 地址", field="url")
    if parts.username or parts.password:
        raise Invalid("webhook.url_not_allowed", "地址中不能包含用户名或密码", field="url")
    if allow_private:
        return url
    host = parts.hostname
    try:
        addrs = [ipaddress.ip_address(host)]
    except ValueError:
        if host.lower() in ("localhost",) or host.lower().endswith(".localhost"):
            raise Invalid(
                "webhook.url_not_allowed", "不能使用本机或内网地址", field="url"
            ) from None
        addrs = []
        if resolve:
            try:
                infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
            except OSError:
                raise Invalid("webhook.url_unresolvable", "无法解析该地址", field="url") from None
            addrs = [ipaddress.ip_address(i[4][0]) for i in infos]
    if any(_blocked(a) for a in addrs):
        raise Invalid("webhook.url_not_allowed", "不能使用本机或内网地址", field="url")
    return url


def _resolve(host: str, port: int) -> list[str]:
    """Every address of ``host`` (an IP literal is its own), in the resolver's order."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(i[4][0]) for i in infos))


class PinnedBackend(httpcore.NetworkBackend):
    """httpcore's network backend that resolves the name once, checks every address
    against the SSRF guard and connects to those very addresses — so a name cannot answer
    a public address to the check and a private one to the connection (DNS rebinding).

    Only the TCP connection is pinned: httpcore still sends ``Host`` as the URL's name
    and, for https, passes the name as TLS ``server_hostname``, so SNI and the
    certificate's hostname check are about the name, never the IP."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addrs = _resolve(host, port)
        if not addrs:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        if not self.allow_private and any(_blocked(ipaddress.ip_address(a)) for a in addrs):
            raise Invalid("webhook.url_not_allowed", "不能使用本机或内网地址", field="url")
        error: httpcore.ConnectError | None = None
        for addr in addrs:
            try:
                return self.inner.connect_tcp(
                    addr,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool with the :class:`PinnedBackend`.
    ``HTTPTransport`` has no argument for a network backend, so the pool it builds is
    replaced by one with the same TLS context and the pinned backend (no proxies: a proxy
    would resolve the name itself)."""

    def __init__(self, allow_private: bool, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify)
        ctx = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ctx, network_backend=PinnedBackend(allow_private)
        )


class HttpChannel:
    """POST ``payload["body"]`` as JSON (plus ``payload["headers"]``) to the recipient.
    2xx is delivered; 408, 429 and 5xx and network errors are retried; other 4xx are
    permanent. Redirects are not followed (a redirect could lead past the guard), and the
    connection goes to an address the guard checked (:class:`PinnedTransport`)."""

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.outbox_allow_private_targets
        self.client = httpx.Client(
            timeout=settings.outbox_http_timeout_seconds,
            follow_redirects=False,
            transport=PinnedTransport(self.allow_private),
        )

    def send(self, msg: Outgoing) -> Delivered:
        try:
            check_url(msg.recipient, self.allow_private)
        except Invalid as exc:
            raise DeliveryError(f"{exc.code}: {exc.detail}", permanent=True) from exc
        body = json.dumps(
            msg.payload.get("body", {}), ensure_ascii=False, separators=(",", ":")
        ).encode()
        headers: dict[str, Any] = {
            "content-type": "application/json",
            "user-agent": "bancheng-outbox/1",
            **(msg.payload.get("headers") or {}),
        }
        secret = msg.secrets.get("signing_secret")
        ts = int(time.time())
        webhook_id = str(msg.payload.get("webhook_id") or msg.idempotency_key)
        headers["webhook-id"] = webhook_id
        headers["webhook-timestamp"] = str(ts)
        if secret:
            headers["webhook-signature"] = sign(secret, webhook_id, ts, body)
        try:
            r = self.client.post(msg.recipient, content=body, headers=headers)
        except Invalid as exc:  # the address resolved at connect time is not allowed
            raise DeliveryError(f"{exc.code}: {exc.detail}", permanent=True) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        status = str(r.status_code)
        if 200 <= r.status_code < 300:
            return Delivered(ref=r.headers.get("x-request-id"), status=status)
        text = r.text[:300]
        permanent = 400 <= r.status_code < 500 and r.status_code not in (408, 409, 425, 429)
        raise DeliveryError(f"HTTP {status}: {text}", status=status, permanent=permanent)
