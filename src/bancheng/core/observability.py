"""Request ids, structured JSON logs and the process's Prometheus metrics.

- Every request gets an id: the caller's ``X-Request-ID`` when it is a plain token (nginx's
  ``$request_id``, say), a new one otherwise. It is returned in the ``X-Request-ID`` header,
  put in every problem+json body (``request_id``) and in every log line written while the
  request runs (a context variable, copied into the worker thread of a sync endpoint).
- Logs are one JSON object a line. The access line names the route *template*
  (``/api/v1/cases/{case_id}``), never the raw path or query string, and no client address:
  personal data (a phone in ``?phone=``) never reaches a log. A last filter masks anything
  that still looks like a mainland mobile or ID-card number in a message or traceback.
- The middleware is plain ASGI and only watches the messages go by: it neither buffers nor
  reorders them, so the unit of work's commit still happens before the response starts.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bancheng_request_id", default=None
)
REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# --- metrics -----------------------------------------------------------------------------

REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "bancheng_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "bancheng_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
HTTP_ERRORS = Counter(
    "bancheng_http_errors",
    "problem+json answers by status and stable error code",
    ["status", "code"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "bancheng_job_runs",
    "Periodic job runs by job and outcome (ok, failed)",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "bancheng_job_duration_seconds",
    "Periodic job run time",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
    registry=REGISTRY,
)
OUTBOX_DELIVERIES = Counter(
    "bancheng_outbox_deliveries",
    "Outbox delivery attempts by channel and resulting state (sent, pending: retry, dead, lost)",
    ["channel", "state"],
    registry=REGISTRY,
)
RATE_LIMIT_REFUSALS = Counter(
    "bancheng_rate_limit_refusals",
    "Requests refused by a rate limit, by bucket",
    ["bucket"],
    registry=REGISTRY,
)


class job_timer:
    """``with job_timer("sla.sweep"): ...`` counts the run and its time, ok or failed."""

    def __init__(self, job: str) -> None:
        self.job = job
        self.started = 0.0

    def __enter__(self) -> job_timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        JOB_DURATION.labels(self.job).observe(time.perf_counter() - self.started)
        JOB_RUNS.labels(self.job, "failed" if exc_type else "ok").inc()


def count_error(status: int, code: str) -> None:
    HTTP_ERRORS.labels(str(status), code).inc()


# --- logs --------------------------------------------------------------------------------

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![0-9A-Za-z])")


def redact(text: str) -> str:
    return _ID_CARD.sub(r"\1***********\2", _MOBILE.sub(r"\1****\2", text))


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        rid = request_id_var.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """JSON lines on stderr for the application's and the server's loggers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # ours names the route template


access_log = logging.getLogger("bancheng.access")

# --- the middleware ----------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = incoming if incoming and _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)
