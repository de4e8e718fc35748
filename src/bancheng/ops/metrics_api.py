"""``GET /metrics``: Prometheus text format.

The process's counters and histograms (requests, latencies, errors by code, job runs,
rate-limit refusals; ``core/observability.py``) plus figures read from the database at
scrape time and kept for ``BANCHENG_METRICS_CACHE_SECONDS``: open and closed cases by state,
open cases by light (from the scheduler's light snapshot when there is one).

Access: a bearer token equal to ``BANCHENG_METRICS_TOKEN``, or a caller whose address is in
``BANCHENG_METRICS_ALLOW`` (addresses or networks, loopback by default). Anyone else gets
``metrics.forbidden`` (403). Staff sign-in does not open it: metrics are for the monitoring
system, not for a role.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, db_session
from bancheng.core.errors import Forbidden
from bancheng.core.observability import REGISTRY
from bancheng.ops import repository

router = api_router(tags=["ops"])


def _allowed(settings: Settings, request: Request) -> bool:
    token = settings.metrics_token
    auth = request.headers.get("authorization", "")
    if token and auth.lower().startswith("bearer "):
        return hmac.compare_digest(auth[7:].strip().encode(), token.encode())
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for item in settings.metrics_allow.split(","):
        item = item.strip()
        if item and address in ipaddress.ip_network(item, strict=False):
            return True
    return False


class _DatabaseFigures:
    """Case figures, read at most once per cache period per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = -1e9
        self._families: list[Metric] = []

    def families(self, session: Session, max_age: float) -> list[Metric]:
        with self._lock:
            if time.monotonic() - self._at >= max_age:
                self._families = self._read(session)
                self._at = time.monotonic()
            return self._families

    def _read(self, session: Session) -> list[Metric]:
        by_state = GaugeMetricFamily("bancheng_cases", "Cases by lifecycle state", labels=["state"])
        by_light = GaugeMetricFamily(
            "bancheng_open_cases_by_light", "Open cases by deadline light", labels=["light"]
        )
        for state, n in repository.cases_by_state(session):
            by_state.add_metric([state], n)
        lights = repository.open_cases_by_light(session, clock.now())
        for light, n in zip(("green", "yellow", "red"), lights, strict=True):
            by_light.add_metric([light], n)
        return [by_state, by_light, *self._outbox(session)]

    @staticmethod
    def _outbox(session: Session) -> list[Metric]:
        depth = GaugeMetricFamily(
            "bancheng_outbox_messages",
            "Outbox messages not yet sent (pending, sending) and given up (dead), by channel",
            labels=["channel", "state"],
        )
        for (channel, state), n in sorted(repository.outbox_backlog(session).items()):
            depth.add_metric([channel, state], n)
        now = clock.now()
        due = repository.oldest_due(session, now)
        lag = GaugeMetricFamily(
            "bancheng_outbox_oldest_due_seconds",
            "How long the oldest message that is due has waited (0: none waiting)",
        )
        lag.add_metric([], max(0.0, (now - due).total_seconds()) if due else 0.0)
        return [depth, lag]


_figures = _DatabaseFigures()


class _Collector:
    def __init__(self, session: Session, max_age: float) -> None:
        self.session = session
        self.max_age = max_age

    def collect(self) -> Iterator[Metric]:
        yield from _figures.families(self.session, self.max_age)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, session: Session = Depends(db_session)) -> Response:
    settings = get_settings()
    if not _allowed(settings, request):
        raise Forbidden("metrics.forbidden", "无权读取运行指标")
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Collector(session, settings.metrics_cache_seconds))  # type: ignore[arg-type]
    body: Any = generate_latest(REGISTRY) + generate_latest(scrape)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
