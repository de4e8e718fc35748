"""Domain errors with stable codes, rendered as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("bancheng.errors")
T = TypeVar("T")


class DomainError(Exception):
    """A refusal by the rules. ``code`` is stable and the UI maps it to Chinese text.

    A subclass names its HTTP status and default code in its header:
    ``class NotFound(DomainError, status=404, code="not_found")``."""

    status_code = 409
    code = "domain.error"
    # Some refusals must still keep what they recorded (a failed sign-in's log line, the
    # supervision flag set when a transfer is refused): the request commits instead.
    commit_changes = False

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.code = code

    def __init__(self, code: str | None = None, detail: str = "", **extra: Any) -> None:
        self.code = code or self.code
        self.detail = detail or self.code
        self.extra = extra
        super().__init__(f"{self.code}: {self.detail}")


class NotFound(DomainError, status=404, code="not_found"): ...


class Invalid(DomainError, status=400, code="invalid"):
    """Well-formed but semantically invalid input (bad checksum, empty text, ...)."""


class Malformed(DomainError, status=422, code="request.malformed"):
    """Input that parses but no request may carry (``core/inputs.py``): a number out of
    range, a forbidden character, an impossible date."""


class Conflict(DomainError, status=409, code="conflict"): ...


class Forbidden(DomainError, status=403, code="auth.forbidden"): ...


class Unauthorized(DomainError, status=401, code="auth.required"): ...


class TooLarge(DomainError, status=413, code="payload.too_large"): ...


class RateLimited(DomainError, status=429, code="rate_limited"): ...


def present(row: T | None, missing: DomainError) -> T:
    """``row``, or ``missing`` raised when it is ``None``: ``present(repository.hall(session,
    hall_id), NotFound("print.hall_not_found", "大厅不存在"))``. The error is written out at
    the call, so the code stays a literal argument of its error class (the test of the
    console's messages finds the codes so)."""
    if row is None:
        raise missing
    return row


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json answer. It carries the request id (also in the ``X-Request-ID``
    header), so an operator can find the request's log lines from a user's screenshot."""
    from bancheng.core.observability import count_error, request_id_var

    count_error(status, code)
    body: dict[str, Any] = {
        "type": f"https://bancheng.dev/problems/{code}",
        "title": code,
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    body["request_id"] = request_id_var.get()
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _allowed_methods(request: Request) -> str:
    """A 405's ``Allow`` (RFC 9110): the methods of every route on the path. Starlette
    names only those of the first route that matched it (one route per method here)."""
    allowed: set[str] = set()
    for route in _routes(request.app.router.routes):
        methods = getattr(route, "methods", None)
        if not methods or getattr(route, "path", "") == "/{path:path}":  # the web UI's
            continue
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            allowed |= set(methods)
    return ", ".join(sorted(allowed))


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every route, those of included routers too (kept behind a wrapper by FastAPI)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        else:
            yield route


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = None
        retry_after = exc.extra.get("retry_after")
        if exc.status_code in (429, 503) and retry_after is not None:
            headers = {"Retry-After": str(max(1, int(retry_after)))}
        return problem(exc.status_code, exc.code, exc.detail, headers=headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem(422, "request.malformed", "请求格式不正确", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http.error")
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return problem(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(DataError)
    async def _not_storable(_: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the request carried (out of a column's range, too
        # long, not encodable): the client's input, refused before anything was kept. It
        # is logged, since the input rules (``core/inputs.py``) should have caught it.
        logger.warning("database refused a value, transaction rolled back: %s", exc.orig)
        return problem(422, "request.value_not_storable", "提交的数值或文字超出允许范围")

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        # The database refused or lost the transaction (a lock wait that ran out, a
        # statement timeout, a dropped connection): nothing was kept, try again.
        logger.error("database error, transaction rolled back: %s", exc)
        return problem(
            503, "server.database_unavailable", "数据库繁忙，请稍后重试", {"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=exc)
        return problem(500, "server.error", "服务器内部错误，请稍后重试")
