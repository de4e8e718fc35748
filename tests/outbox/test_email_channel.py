"""The e-mail channel against a real SMTP server (aiosmtpd): STARTTLS with AUTH, implicit
TLS, an untrusted certificate, and the Message-ID from the idempotency key."""

from __future__ import annotations

import pytest

from bancheng.outbox import service
from bancheng.outbox.email import message_id
from bancheng.outbox.worker import Deliverer
from tests.outbox.sinks import SmtpSink, self_signed


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed(str(tmp_path_factory.mktemp("smtp")))


def _enqueue(database, key: str) -> None:
    with database.transaction() as s:
        service.enqueue(
            s,
            channel="email",
            kind="staff.light_red",
            idempotency_key=key,
            recipient="wang@fund.example.gov.cn",
            recipient_masked="wang@fund.example.gov.cn",
            payload={
                "subject": "超期：{number}",
                "text": "案件{number}已超过办理时限（{deadline}），请尽快办理。",
                "params": {"number": "BC-2026-000009", "deadline": "2026-12-03"},
            },
        )


def _conf(settings, port, **kw):
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "bancheng@city.gov.cn",
            **kw,
        }
    )


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_and_auth(committed, settings, cert, mode):
    with SmtpSink(mode, cert, user="mailer", password="s3cret") as sink:
        conf = _conf(
            settings,
            sink.port,
            smtp_starttls=mode == "starttls",
            smtp_tls=mode == "tls",
            smtp_ca_file=cert[0],
            smtp_user="mailer",
            smtp_password="s3cret",
        )
        _enqueue(committed, f"mail-{mode}")
        assert Deliverer(committed, conf).run_once().sent == 1
        [got] = sink.messages
    m = got["message"]
    assert (got["from"], got["to"], got["tls"], got["auth"]) == (
        "bancheng@city.gov.cn",
        ["wang@fund.example.gov.cn"],
        True,
        True,
    )
    assert m["Subject"] == "超期：BC-2026-000009"
    assert m["Message-ID"] == message_id(f"mail-{mode}", "city.gov.cn")
    assert m.get_content().strip() == "案件BC-2026-000009已超过办理时限（2026-12-03），请尽快办理。"


def test_untrusted_certificate_is_not_accepted(committed, settings, cert):
    with SmtpSink("tls", cert) as sink:
        conf = _conf(settings, sink.port, smtp_tls=True)  # no smtp_ca_file
        _enqueue(committed, "mail-untrusted")
        r = Deliverer(committed, conf).run_once()
        assert (r.sent, r.retried) == (0, 1)
        assert sink.messages == []
