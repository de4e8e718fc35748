"""The e-mail channel: SMTP with STARTTLS or implicit TLS and authentication.

One connection is kept open per worker and reused; a dropped connection is reopened on
the next message. The idempotency key becomes the ``Message-ID`` (the same on every
retry). 5xx answers are permanent; 4xx answers and network errors are retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from bancheng.core.config import Settings
from bancheng.outbox.channels import Delivered, DeliveryError, Outgoing


def message_id(key: str, domain: str = "bancheng") -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpChannel:
    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.conn: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.s.smtp_ca_file or None)
        return ctx

    def _connect(self) -> smtplib.SMTP:
        s = self.s
        if not s.smtp_host:
            raise DeliveryError("SMTP is not configured (BANCHENG_SMTP_HOST)")
        timeout = s.outbox_http_timeout_seconds
        conn: smtplib.SMTP
        if s.smtp_tls:
            conn = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=timeout, context=self._context()
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
            if s.smtp_starttls:
                conn.starttls(context=self._context())
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password or "")
        return conn

    def build(self, msg: Outgoing) -> EmailMessage:
        em = EmailMessage()
        em["From"] = self.s.smtp_from
        em["To"] = msg.recipient
        em["Subject"] = msg.text("subject") or msg.subject or "办成通知"
        em["Date"] = formatdate(localtime=False)
        em["Message-ID"] = message_id(msg.idempotency_key, self.s.smtp_from.rsplit("@", 1)[-1])
        em["X-Bancheng-Kind"] = msg.kind
        em.set_content(msg.text() or str(msg.payload.get("body") or ""))
        return em

    def send(self, msg: Outgoing) -> Delivered:
        if not msg.recipient or "@" not in msg.recipient:
            raise DeliveryError("no e-mail address", permanent=True)
        em = self.build(msg)
        for attempt in (1, 2):  # a kept connection may have been closed by the server
            try:
                if self.conn is None:
                    self.conn = self._connect()
                refused = self.conn.send_message(em)
                if refused:
                    raise DeliveryError(f"refused: {refused}", permanent=True)
                return Delivered(ref=str(em["Message-ID"]), status="250")
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
            except smtplib.SMTPResponseException as exc:
                self._drop()
                code = int(exc.smtp_code)
                text = (
                    exc.smtp_error.decode(errors="replace")
                    if isinstance(exc.smtp_error, bytes)
                    else str(exc.smtp_error)
                )
                if code == 421 and attempt == 1:
                    continue
                raise DeliveryError(
                    f"SMTP {code}: {text}", status=str(code), permanent=500 <= code < 600
                ) from exc
            except (smtplib.SMTPServerDisconnected, ConnectionError, OSError) as exc:
                self._drop()
                if attempt == 1 and isinstance(exc, smtplib.SMTPServerDisconnected):
                    continue
                raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        raise DeliveryError("SMTP connection lost")

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
