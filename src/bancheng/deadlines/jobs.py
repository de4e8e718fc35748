"""The SLA domain's periodic job: the deadline sweep (yellow, red, urging, escalation)."""

from __future__ import annotations

from typing import Any

from bancheng.core.jobs import JobContext, JobRegistry, sweep_job

SWEEP = "sla.sweep"


def _sweep(ctx: JobContext) -> dict[str, Any]:
    from bancheng.deadlines.sweeper import sweep

    return dict(sweep(ctx.session, ctx.settings, ctx.now).as_dict())


def register(jobs: JobRegistry) -> None:
    jobs.register(sweep_job(SWEEP, _sweep, "办理时限扫描：转黄、转红、催办与升级督办"))
