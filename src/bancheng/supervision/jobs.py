"""The supervision domain's periodic job: escalate overdue orders, flag overdue meeting
decisions. Every caller (scheduler, ``POST /supervision/sweep``, the CLI) goes through
``bancheng.core.jobs.run_job``, so concurrent triggers escalate each order once."""

from __future__ import annotations

from typing import Any

from bancheng.core.jobs import JobContext, JobRegistry, sweep_job

SWEEP = "supervision.sweep"


def _sweep(ctx: JobContext) -> dict[str, Any]:
    from bancheng.supervision.service import sweep

    return sweep(ctx.session, ctx.now)


def register(jobs: JobRegistry) -> None:
    jobs.register(sweep_job(SWEEP, _sweep, "督办扫描：逾期督办单逐级升级，会议议定事项逾期提醒"))
