"""Open311 GeoReport v2's formats: every answer, errors included, in JSON or XML by the
path's suffix (``.json`` / ``.xml``), in the shapes the spec defines. Errors are a list
of ``{code, description}`` with the HTTP status as ``code`` (XML: ``<errors><error>``),
plus bancheng's stable code in ``error``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from bancheng.core.errors import DomainError, RateLimited
from bancheng.core.ratelimit import RateLimit

FORMATS = {"json": "application/json", "xml": "text/xml"}


class Open311Error(Exception):
    def __init__(
        self, status: int, description: str, error: str, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.error = status, description, error
        self.retry_after = retry_after


class Open311Limit(RateLimit):
    """The per-client limit of the phone page, refused in the spec's error format: it runs
    as a dependency, before ``guard``, so its refusal is answered by ``refused``."""

    def __init__(self) -> None:
        super().__init__("public")

    def __call__(self, request: Request) -> None:
        try:
            super().__call__(request)
        except RateLimited as exc:
            raise Open311Error(429, exc.detail, exc.code, exc.extra.get("retry_after")) from None


async def refused(request: Request, exc: Exception) -> Response:
    """The app's handler of an ``Open311Error`` raised outside ``guard`` (a dependency)."""
    assert isinstance(exc, Open311Error)
    return _error(hint(request.url.path), exc)


def _xml_value(parent: ET.Element, key: str, value: Any, item: str) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, list):
        for v in value:
            _xml_item(el, item, v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v, "value")
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def _xml_item(parent: ET.Element, tag: str, obj: Any) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(obj, dict):
        children = {"attributes": "attribute", "values": "value", "endpoints": "endpoint"}
        for k, v in obj.items():
            _xml_value(el, k, v, children.get(k, "format" if k == "formats" else "value"))
    else:
        el.text = str(obj)


def render(fmt: str, data: Any, root: str, item: str, status: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(data, status_code=status)
    top = ET.Element(root)
    if isinstance(data, list):
        for obj in data:
            _xml_item(top, item, obj)
    else:
        for k, v in data.items():
            children = {"attributes": "attribute", "endpoints": "endpoint"}
            _xml_value(top, k, v, children.get(k, "value"))
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")


def error_response(
    fmt: str, status: int, description: str, error: str, retry_after: int | None = None
) -> Response:
    data = [{"code": status, "description": description, "error": error}]
    response = render(fmt if fmt in FORMATS else "json", data, "errors", "error", status)
    if status == 429 and retry_after is not None:
        response.headers["Retry-After"] = str(max(1, int(retry_after)))
    return response


def _error(fmt: str, exc: Open311Error) -> Response:
    return error_response(fmt, exc.status, exc.description, exc.error, exc.retry_after)


def split(path_tail: str) -> tuple[str, str]:
    """``"HF-001.json"`` → ``("HF-001", "json")``; an unknown suffix is a 404."""
    stem, dot, fmt = path_tail.rpartition(".")
    if not dot or fmt not in FORMATS:
        raise Open311Error(404, "未知的格式（应为 .json 或 .xml）", "open311.format_unknown")
    return stem, fmt


def guard(fmt_hint: str, fn: Callable[[], Response]) -> Response:
    """``fn``'s answer, or its refusal in the spec's error format."""
    try:
        return fn()
    except Open311Error as exc:
        return _error(fmt_hint, exc)
    except DomainError as exc:
        status = 429 if exc.status_code == 429 else (400 if exc.status_code < 500 else 500)
        return error_response(fmt_hint, status, exc.detail, exc.code, exc.extra.get("retry_after"))


def hint(tail: str) -> str:
    fmt = tail.rpartition(".")[2]
    return fmt if fmt in FORMATS else "json"
