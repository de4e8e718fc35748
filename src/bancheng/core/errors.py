"""Domain errors with stable codes, rendered as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("bancheng.errors")


class DomainError(Exception):
    """A refusal by the rules. ``code`` is stable and the UI maps it to Chinese text."""

    status_code = 409
    code = "domain.error"
    # Some refusals must still keep what they recorded (a failed sign-in's log line, the
    # supervision flag set when a transfer is refused): the request commits instead.
    commit_changes = False

    def __init__(self, code: str | None = None, detail: str = "", **extra: Any) -> None:
        self.code = code or self.code
        self.detail = detail or self.code
        self.extra = extra
        super().__init__(f"{self.code}: {self.detail}")


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Invalid(DomainError):
    """Well-formed but semantically invalid input (bad checksum, empty text, ...)."""

    status_code = 400
    code = "invalid"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    status_code = 403
    code = "auth.forbidden"


class Unauthorized(DomainError):
    status_code = 401
    code = "auth.required"


class TooLarge(DomainError):
    status_code = 413
    code = "payload.too_large"


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"


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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http.error")
        return problem(exc.status_code, code, str(exc.detail))

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
