"""The insights domain's periodic jobs (registered in ``bancheng.core.jobs``):

- ``insights.refresh`` every ``insights_refresh_seconds``: bring the rollup and the light
  snapshots up to date. Lights are counted in a read transaction of their own, and less
  often when counting is slow (at most a tenth of the time is spent on it);
- ``insights.nightly_rebuild`` once a night (after 02:00 local): recompute the last
  ``insights_rollup_days`` days whatever was marked (a safety net);
- ``insights.daily_summary`` once a day (after 07:00 local): build yesterday's summary and
  e-mail it when SMTP is configured. The day is recorded with the job's run, so the e-mail
  goes once whatever the number of workers and instances; a failed send rolls the run
  back and the next tick tries again."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from bancheng.core import clock
from bancheng.core.jobs import JobContext, JobRegistry, daily_job, interval_job

log = logging.getLogger("bancheng.insights")
SUMMARY_HOUR = 7
REBUILD_HOUR = 2
REFRESH = "insights.refresh"
NIGHTLY = "insights.nightly_rebuild"
SUMMARY = "insights.daily_summary"


class _LightPace:
    """When this process next counts the lights (monotonic time)."""

    due = 0.0


def refresh_job(ctx: JobContext) -> dict[str, Any]:
    from bancheng.insights.repository import count_lights
    from bancheng.insights.service import refresh

    counted: Any = False
    if time.monotonic() >= _LightPace.due:
        started = time.monotonic()
        if ctx.db is not None:
            with ctx.db.transaction(write=False) as read:
                counted = (clock.now(), count_lights(read, clock.now()))
        else:
            counted = True
        interval = ctx.settings.insights_refresh_seconds
        _LightPace.due = started + max(interval, 10 * (time.monotonic() - started))
    return refresh(ctx.session, lights=counted)


def nightly_job(ctx: JobContext) -> dict[str, Any]:
    from bancheng.insights.service import refresh

    return refresh(ctx.session, recent=ctx.settings.insights_rollup_days, lights=False)


def summary_job(ctx: JobContext) -> dict[str, Any]:
    from bancheng.insights.summary import daily_summary, send_summary

    yesterday = clock.to_local(ctx.now).date() - timedelta(days=1)
    data = daily_summary(ctx.session, None, yesterday)
    sent = send_summary(ctx.settings, data)
    log.info("daily summary %s: %s new", yesterday, data["new"])
    return {"day": yesterday.isoformat(), "new": data["new"], "sent": bool(sent)}


def register(jobs: JobRegistry) -> None:
    jobs.register(
        interval_job(
            REFRESH, refresh_job, lambda s: s.insights_refresh_seconds, "统计汇总与亮灯快照增量刷新"
        ),
        daily_job(NIGHTLY, nightly_job, REBUILD_HOUR, "每晚重算近期统计汇总（兜底）"),
        daily_job(SUMMARY, summary_job, SUMMARY_HOUR, "每日工作摘要（配置邮件时发送）"),
    )
