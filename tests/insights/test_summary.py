"""The daily summary: figures of a constructed day, Excel, e-mail over SMTP (faked)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from bancheng.core.config import Settings
from bancheng.insights import summary
from tests.conftest import principal_of
from tests.insights.test_metrics import world  # noqa: F401  (fixture)


def test_daily_summary_of_a_day(session, world):  # noqa: F811
    data = summary.daily_summary(session, None, date(2026, 10, 5))
    assert (data["new"], data["resolved"], data["resolved_on_spot"]) == (3, 1, 1)
    assert {k["key"]: k["count"] for k in data["by_kind"]} == {"cannot_do": 3}
    # As of the end of 5 October nothing was overdue yet (deadlines were 3 days out).
    assert data["overdue"] == 0
    today = summary.daily_summary(session, None, date(2026, 11, 21))
    assert today["overdue"] == 1 and [c["title"] for c in today["notable"]] == ["测试"]
    leader_a = principal_of(session, world, "leader_a")
    scoped = summary.daily_summary(session, leader_a, date(2026, 10, 5))
    assert scoped["new"] == 1
    wb = load_workbook(io.BytesIO(summary.summary_xlsx(data)))
    assert wb.sheetnames == ["每日汇总", "按类型", "按部门", "按堵点类型", "重点案件"]
    assert wb["每日汇总"]["B3"].value == 3


def test_email_only_when_configured(session, world, monkeypatch):  # noqa: F811
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: int) -> None:
            sent.append(("connect", host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def starttls(self) -> None:
            sent.append(("starttls",))

        def login(self, user: str, password: str) -> None:
            sent.append(("login", user))

        def send_message(self, msg: Any) -> None:
            sent.append(("send", msg["To"], msg["Subject"]))

    monkeypatch.setattr(summary.smtplib, "SMTP", FakeSMTP)
    data = summary.daily_summary(session, None, date(2026, 10, 5))
    assert summary.send_summary(Settings(), data) is False
    conf = Settings(
        smtp_host="mail.example", smtp_user="u", smtp_starttls=True,
        summary_recipients="a@example.cn, b@example.cn",
    )  # fmt: skip
    assert summary.send_summary(conf, data) is True
    assert sent == [
        ("connect", "mail.example", 25),
        ("starttls",),
        ("login", "u"),
        ("send", "a@example.cn, b@example.cn", "办不成事反映窗口每日汇总 2026-10-05"),
    ]
