"""The OpenAPI document declares every operation's error answers: problem+json bodies
(the ``Problem`` schema) for the statuses any operation may answer with, in one place
rather than on each route. FastAPI's own 422 (``HTTPValidationError``) is replaced, since
the application answers every 422 with a problem too (``core/errors.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from bancheng.core.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable, `detail` is Chinese text",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}

ERROR_STATUSES: dict[int, str] = {
    400: "Well-formed but invalid input",
    401: "Not signed in, or the token is invalid",
    403: "Not allowed (permission, CSRF, password to change)",
    404: "Not found, or outside the caller's scope",
    409: "Refused by the rules, or a stale version",
    413: "Request body too large",
    422: "Request does not parse, or carries a value no request may carry",
    429: "Too many requests (Retry-After)",
    503: "Database busy or a dependency unavailable (Retry-After)",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# Downloads answer with their file's type (the path's suffix), not JSON.
DOWNLOADS = {
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Open311 GeoReport v2 answers, errors included, in the format its path names (JSON or
# XML), in the shape that standard defines.
OPEN311_PREFIX = "/open311/"
_OPEN311_CONTENT: dict[str, Any] = {"application/json": {"schema": {}}, "text/xml": {"schema": {}}}
# Two answer bodies of the same class name are told apart by their module
# (``bancheng__<domain>__<module>__<Class>``). These names were published while the classes
# lived in the domains' api modules; the classes have since moved to ``schemas.py``, and
# the names stay as published (the console's generated types use them).
PUBLISHED_NAMES = {
    "bancheng__dispatch__schemas__ImportOut": "bancheng__dispatch__api__ImportOut",
    "bancheng__feedback__schemas__AttemptOut": "bancheng__feedback__api__AttemptOut",
    "bancheng__routing__schemas__LinkIn": "bancheng__routing__api__LinkIn",
    "bancheng__outbox__schemas__AttemptOut": "bancheng__outbox__api__AttemptOut",
    "bancheng__sla__schemas__ImportOut": "bancheng__sla__api__ImportOut",
    "bancheng__sla__schemas__SweepOut": "bancheng__sla__ops_api__SweepOut",
}


_COMPONENTS = "#/components/schemas/"


def _published(node: Any) -> Any:
    """``node`` with every ``$ref`` to a renamed component pointing at its published name."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENTS):
            name = ref.removeprefix(_COMPONENTS)
            node = {**node, "$ref": _COMPONENTS + PUBLISHED_NAMES.get(name, name)}
        return {k: _published(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_published(v) for v in node]
    return node


def keep_published_names(schema: dict[str, Any]) -> None:
    """Rename the components of ``PUBLISHED_NAMES`` back to their published names (in
    FastAPI's order, sorted by name) and point every reference at them."""
    components = schema.get("components", {}).get("schemas", {})
    if not any(name in components for name in PUBLISHED_NAMES):
        return
    renamed = {PUBLISHED_NAMES.get(k, k): v for k, v in components.items()}
    schema["components"]["schemas"] = dict(sorted(renamed.items()))
    schema["paths"] = _published(schema["paths"])
    schema["components"]["schemas"] = _published(schema["components"]["schemas"])


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    keep_published_names(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path, item in schema.get("paths", {}).items():
        open311 = path.startswith(OPEN311_PREFIX)
        download = next((t for suffix, t in DOWNLOADS.items() if path.endswith(suffix)), None)
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            ok = responses.get("200")
            if ok is not None and (open311 or download):
                content = ok.setdefault("content", {})
                if download:
                    content.pop("application/json", None)
                if open311:
                    content.update(_OPEN311_CONTENT)
                elif not content:
                    content[download] = _BINARY
            for status, description in ERROR_STATUSES.items():
                if status == 413 and "requestBody" not in operation:
                    continue
                problem = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
                responses[str(status)] = {
                    "description": description,
                    "content": {**problem, **_OPEN311_CONTENT} if open311 else problem,
                }
            operation["responses"] = dict(sorted(responses.items()))
    text = repr(schema["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}'" not in text:
            components.pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_problem_responses(FastAPI.openapi(app))  # caches it on the app
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
