"""The insights jobs inside ``serve``: bring the rollup and the light snapshots up to date
every ``insights_refresh_seconds``; once a night (after 02:00 local) recompute the last
``insights_rollup_days`` days whatever was marked (a safety net); once a day (after 07:00
local) build yesterday's daily summary and e-mail it when SMTP is configured. A daemon
thread next to the SLA sweeper."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, timedelta

from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.db import Database
from bancheng.core.observability import job_timer

log = logging.getLogger("bancheng.insights")
SUMMARY_HOUR = 7
REBUILD_HOUR = 2


class InsightsScheduler:
    def __init__(self, db: Database, settings: Settings, interval: float | None = None) -> None:
        self.db = db
        self.settings = settings
        self.interval = interval if interval is not None else settings.insights_refresh_seconds
        self.last_summary: date | None = None
        self.last_rebuild: date | None = None
        self.lights_due = 0.0  # monotonic time of the next light count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="insights", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> None:
        from bancheng.insights.repository import count_lights
        from bancheng.insights.service import refresh
        from bancheng.insights.summary import daily_summary, send_summary

        local = clock.to_local(clock.now())
        # Lights are counted in a read transaction, and less often when counting is slow
        # (at most a tenth of the time is spent on it).
        counted = None
        if time.monotonic() >= self.lights_due:
            started = time.monotonic()
            with self.db.transaction(write=False) as session:
                counted = (clock.now(), count_lights(session, clock.now()))
            self.lights_due = started + max(self.interval, 10 * (time.monotonic() - started))
        with self.db.transaction() as session:
            nightly = local.hour >= REBUILD_HOUR and self.last_rebuild != local.date()
            recent = self.settings.insights_rollup_days if nightly else None
            refresh(session, recent=recent, lights=counted or False)
            if nightly:
                self.last_rebuild = local.date()
        yesterday = local.date() - timedelta(days=1)
        if local.hour >= SUMMARY_HOUR and self.last_summary != yesterday:
            with self.db.transaction() as session:
                data = daily_summary(session, None, yesterday)
            send_summary(self.settings, data)
            self.last_summary = yesterday
            log.info("daily summary %s: %s new", yesterday, data["new"])

    def _run(self) -> None:
        # The first tick at once: a server started after a pause shows current figures.
        while True:
            try:
                with job_timer("insights.refresh"):
                    self.tick()
            except Exception:
                log.exception("insights job failed")
            if self._stop.wait(self.interval):
                return
