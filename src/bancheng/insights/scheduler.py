"""The insights jobs inside ``serve``: refresh the rollup's recent days every interval,
and once a day (after 07:00 local) build yesterday's daily summary and e-mail it when
SMTP is configured. A daemon thread next to the SLA sweeper."""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.db import Database

log = logging.getLogger("bancheng.insights")
SUMMARY_HOUR = 7


class InsightsScheduler:
    def __init__(self, db: Database, settings: Settings, interval: float = 900.0) -> None:
        self.db = db
        self.settings = settings
        self.interval = interval
        self.last_summary: date | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="insights", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> None:
        from bancheng.insights.service import refresh_rollup
        from bancheng.insights.summary import daily_summary, send_summary

        with self.db.transaction() as session:
            refresh_rollup(session, self.settings.insights_rollup_days)
        local = clock.to_local(clock.now())
        yesterday = local.date() - timedelta(days=1)
        if local.hour >= SUMMARY_HOUR and self.last_summary != yesterday:
            with self.db.transaction() as session:
                data = daily_summary(session, None, yesterday)
            send_summary(self.settings, data)
            self.last_summary = yesterday
            log.info("daily summary %s: %s new", yesterday, data["new"])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                log.exception("insights job failed")
