"""The daily summary: figures of a constructed day, Excel, PDF, e-mail over SMTP (faked)."""

from __future__ import annotations

import io
import os
import re
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bancheng.core import pdf
from bancheng.core.config import Settings
from bancheng.insights import summary
from tests.cases.helpers import as_user
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
    messages: list[EmailMessage] = []

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
            messages.append(msg)

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
    files = {a.get_filename(): a.get_content() for a in messages[0].iter_attachments()}
    assert sorted(files) == ["daily-summary-2026-10-05.pdf", "daily-summary-2026-10-05.xlsx"]
    assert files["daily-summary-2026-10-05.pdf"].startswith(b"%PDF")


# --- PDF ---------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The PDF's text as laid out (pypdf, a test dependency). pypdf reads fpdf2's
    two-byte glyph codes with a NUL before each character: dropped."""
    reader = PdfReader(io.BytesIO(content))
    pages = (page.extract_text(extraction_mode="layout") or "" for page in reader.pages)
    return "\n".join(pages).replace("\x00", "")


def _pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", content))


def _needs_font() -> None:
    try:
        pdf.find_cjk_font(Settings().cjk_font_path)
    except pdf.FontMissing:
        if os.environ.get("CI") == "true":  # `make test` installs it: CI must not skip
            pytest.fail("no CJK font installed (fonts-noto-cjk)")
        pytest.skip("no CJK font installed (fonts-noto-cjk)")


def _figures(text: str) -> list[int]:
    """The five counters under their labels: the line after the labels' line."""
    lines = [line for line in text.splitlines() if line.strip()]
    i = next(n for n, line in enumerate(lines) if "新登记" in line and "临期" in line)
    return [int(x) for x in lines[i + 1].split()]


def test_pdf_of_the_day(session, world):  # noqa: F811
    _needs_font()
    data = summary.daily_summary(session, None, date(2026, 11, 21))
    pdf = summary.summary_pdf(data)
    assert pdf.startswith(b"%PDF") and _pages(pdf) >= 1 and len(pdf) > 5000
    assert b"FontFile" in pdf  # the CJK font is embedded
    text = pdf_text(pdf)
    assert "每日汇总" in text and "2026-11-21" in text and "范围：全部数据" in text
    assert _figures(text) == [
        data[k] for k in ("new", "resolved", "resolved_on_spot", "overdue", "yellow")
    ]
    assert data["overdue"] == 1
    for label in ("新登记按类型", "新登记按部门", "新登记按堵点类型", "重点案件"):
        assert label in text
    case = data["notable"][0]
    assert case["number"] in text and case["department"] in text


def test_pdf_endpoint_keeps_the_callers_scope(client, session, world):  # noqa: F811
    _needs_font()
    as_user(client, "leader")
    city = client.get("/api/v1/insights/daily-summary", params={"day": "2026-10-05"}).json()
    r = client.get("/api/v1/insights/daily-summary.pdf", params={"day": "2026-10-05"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "daily-summary-2026-10-05.pdf" in r.headers["content-disposition"]
    city_text = pdf_text(r.content)
    as_user(client, "leader_a")
    mine = client.get("/api/v1/insights/daily-summary", params={"day": "2026-10-05"}).json()
    r = client.get("/api/v1/insights/daily-summary.pdf", params={"day": "2026-10-05"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert (city["new"], mine["new"]) == (3, 1)
    assert mine["scope"].endswith("（本部门及以下）")
    text = pdf_text(r.content)
    assert _figures(city_text)[0] == 3 and _figures(text)[0] == 1
    assert _figures(text) == [
        mine[k] for k in ("new", "resolved", "resolved_on_spot", "overdue", "yellow")
    ]
    assert f"范围：{mine['scope']}" in text and "范围：全部数据" in city_text
    fund = world.depts["fund"].name
    assert fund in city_text and fund not in text  # the city agency is outside district A
    as_user(client, "handler_a")
    assert client.get("/api/v1/insights/daily-summary.pdf").status_code == 403


def test_pdf_without_a_font_is_a_clear_error(client, org, settings, monkeypatch):
    monkeypatch.setattr(pdf, "FALLBACK_FONTS", ())
    monkeypatch.setattr(settings, "cjk_font_path", "/nonexistent/font.ttc")
    as_user(client, "leader")
    r = client.get("/api/v1/insights/daily-summary.pdf")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "print.font_missing" and "字体" in r.json()["detail"]
    # The JSON and Excel forms do not need the font.
    assert client.get("/api/v1/insights/daily-summary.xlsx").status_code == 200


def test_cli_writes_the_pdf(session, world, tmp_path: Path, cli):  # noqa: F811
    _needs_font()
    pdf, xlsx = tmp_path / "s.pdf", tmp_path / "s.xlsx"
    res = cli(
        "insights", "daily-summary", "--date", "2026-10-05", "--pdf", str(pdf), "--xlsx", str(xlsx)
    )
    assert res.exit_code == 0, res.output
    assert '"new": 3' in res.output
    assert _figures(pdf_text(pdf.read_bytes()))[:3] == [3, 1, 1]
    assert pdf.read_bytes().startswith(b"%PDF") and _pages(pdf.read_bytes()) >= 1
    assert xlsx.stat().st_size > 0
