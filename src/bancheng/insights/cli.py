"""``bancheng insights ...``: rollup, refresh, daily summary. (``bancheng insights import`` is
the 12345 import's command, ``integrations/cli.py``.)"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from bancheng.core import clock
from bancheng.core.cli import Env, pass_env
from bancheng.core.config import get_settings


@click.group("insights")
def insights_group() -> None:
    """Rates, rollups, daily summary, Excel import."""


@insights_group.command("rollup")
@click.option("--days", type=int, default=None, help="Only the last N days (default: all).")
@pass_env
def rollup(env: Env, days: int | None) -> None:
    """Rebuild the daily rollup (case_daily_stats) that the dashboards read."""
    from bancheng.insights.service import refresh_rollup

    with env.database.transaction() as session:
        out = refresh_rollup(session, days)
    click.echo(json.dumps(out, ensure_ascii=False))


@insights_group.command("refresh")
@pass_env
def refresh_command(env: Env) -> None:
    """Bring the rollup and the light snapshots up to date (what ``serve`` does every
    minute): the days changed since the last refresh, today, deadlines passed. For
    deployments that run the jobs from cron instead of ``serve``."""
    from bancheng.insights.service import refresh

    with env.database.transaction() as session:
        out = refresh(session)
    click.echo(json.dumps(out, ensure_ascii=False))


@insights_group.command("daily-summary")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), default=None)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), default=None)
@click.option("--email/--no-email", default=False, help="Send to BANCHENG_SUMMARY_RECIPIENTS.")
@pass_env
def daily_summary(
    env: Env, day: object, xlsx_path: str | None, pdf_path: str | None, email: bool
) -> None:
    """每日汇总 of a day (default today), all departments: JSON on stdout."""
    from bancheng.core.errors import DomainError
    from bancheng.insights.summary import daily_summary as build
    from bancheng.insights.summary import send_summary, summary_pdf, summary_xlsx

    d = day.date() if day is not None else clock.local_today()  # type: ignore[attr-defined]
    assert isinstance(d, date)
    with env.database.transaction() as session:
        data = build(session, None, d)
    if xlsx_path:
        Path(xlsx_path).write_bytes(summary_xlsx(data))
    if pdf_path:
        try:
            Path(pdf_path).write_bytes(summary_pdf(data, get_settings().cjk_font_path))
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
    if email:
        sent = send_summary(get_settings(), data)
        click.echo("e-mail sent" if sent else "SMTP or recipients not configured", err=True)
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))
