"""``bancheng supervision sweep``: escalate overdue orders, flag overdue decisions."""

from __future__ import annotations

import json

import click

from bancheng.core.cli import Env, json_flag, pass_env


@click.group("supervision")
def supervision_group() -> None:
    """督办: 催办督办单逾期升级、会议议定事项逾期提醒。"""


@supervision_group.command("sweep")
@json_flag("以 JSON 输出结果。")
@pass_env
def sweep_command(env: Env, as_json: bool) -> None:
    """扫描逾期督办单并逐级升级(可重复运行)。"""
    from bancheng.core.config import get_settings
    from bancheng.core.jobs import run_job
    from bancheng.supervision.jobs import SWEEP

    with env.database.transaction(write=True) as session:
        result = run_job(session, SWEEP, get_settings(), force=True, wait=True).result
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"升级 {result['escalated']} 次，到顶 {result['top_reached']} 件，"
            f"议定事项逾期 {result['decisions_overdue']} 项"
        )
