"""Local servers the channel tests send to: an HTTP sink that records requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HttpSink:
    """Records every request (method, path, headers, body); ``respond`` picks the answer."""

    def __init__(self, respond: Callable[[dict[str, Any]], tuple[int, bytes]] | None = None):
        self.requests: list[dict[str, Any]] = []
        self.respond = respond or (lambda _r: (200, b'{"ok":true}'))
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                req = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(n),
                }
                sink.requests.append(req)
                status, body = sink.respond(req)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = _handle

            def log_message(self, *_a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HttpSink:
        self.thread.start()
        return self

    def __exit__(self, *_a: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- SMTP (aiosmtpd) -------------------------------------------------------------------------


def self_signed(tmp_dir: str) -> tuple[str, str]:
    """A certificate for 127.0.0.1/localhost and its key, as PEM files."""
    import datetime as dt
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(tmp_dir) / "cert.pem", Path(tmp_dir) / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """A real SMTP server (aiosmtpd): ``mode`` is ``plain``, ``starttls`` (required) or
    ``tls`` (implicit); with ``user``/``password`` it requires AUTH."""

    def __init__(
        self,
        mode: str = "plain",
        cert: tuple[str, str] | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[dict[str, Any]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                from email import message_from_bytes, policy

                sink.messages.append(
                    {
                        "from": envelope.mail_from,
                        "to": list(envelope.rcpt_tos),
                        "message": message_from_bytes(envelope.content, policy=policy.default),
                        "tls": server.transport.get_extra_info("ssl_object") is not None,
                        "auth": session.authenticated,
                    }
                )
                return "250 OK"

        def authenticator(_server: Any, _session: Any, _env: Any, mechanism: str, data: Any):
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == user
                and data.password.decode() == password
            )
            return AuthResult(success=ok)

        ctx = None
        if cert is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*cert)
        kwargs: dict[str, Any] = {}
        if user:
            # PLAIN only: smtplib would try LOGIN after a refused PLAIN, and aiosmtpd then
            # stalls instead of answering 535 a second time.
            kwargs.update(
                authenticator=authenticator, auth_required=True, auth_exclude_mechanism=["LOGIN"]
            )
        if mode == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        if mode == "tls":
            # aiosmtpd does not see implicit TLS as TLS for AUTH; the socket is TLS anyway.
            kwargs.update(auth_require_tls=False)
        self.port = free_port()
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=ctx if mode == "tls" else None,
            **kwargs,
        )

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *_a: Any) -> None:
        self.controller.stop()
