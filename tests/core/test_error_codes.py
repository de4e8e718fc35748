"""Every stable error code the server raises has its Chinese message in the console
(``web/src/api/errors.ts``), so no refusal shows the server's fallback text or a raw code.

The walk reads the source with ``ast``: every call of a domain error class
(``Invalid("case.title_empty", ...)``) whose first argument is a literal code. Codes built
at run time (``f"case.{field}_required"``) are checked by the console's own unit test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bancheng.core.errors as errors_module
from bancheng.core.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "bancheng"
CONSOLE = ROOT / "web" / "src" / "api" / "errors.ts"

ERROR_CLASSES = {
    name
    for name, obj in vars(errors_module).items()
    if isinstance(obj, type) and issubclass(obj, DomainError)
}


def raised_codes() -> dict[str, str]:
    """Code → the first file that raises it."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if name in ERROR_CLASSES and literal:
                found.setdefault(first.value, str(path.relative_to(ROOT)))  # type: ignore[attr-defined]
    return found


def console_codes() -> set[str]:
    text = CONSOLE.read_text(encoding="utf-8")
    body = text[text.index("export const ERROR_MESSAGES") :]
    body = body[: body.index("\n}\n")]
    return set(re.findall(r"^\s*'?([a-z0-9_.]+)'?\s*:\s*'", body, re.M))


def test_the_walk_finds_the_codes() -> None:
    codes = raised_codes()
    # A sample from several domains: the walk sees what the domains raise.
    for code in ("case.title_empty", "supervision.order_not_found", "rate_limited"):
        assert code in codes, code
    assert len(codes) > 200


def test_every_raised_code_has_a_chinese_message_in_the_console() -> None:
    codes = raised_codes()
    missing = {c: where for c, where in codes.items() if c not in console_codes()}
    assert missing == {}, "add to web/src/api/errors.ts: " + ", ".join(sorted(missing))


def test_every_permission_has_its_chinese_label_in_the_console() -> None:
    """The token page offers every permission by its Chinese name, and no tag shows a raw
    code: the console's PERMISSION table names exactly the server's permissions."""
    from bancheng.org.permissions import PERMISSIONS

    labels = (ROOT / "web" / "src" / "labels.ts").read_text(encoding="utf-8")
    block = labels.split("export const PERMISSION: Record<string, string> = {", 1)[1]
    block = block.split("\n}", 1)[0]
    named = dict(re.findall(r"'([a-z0-9_.]+)': '([^']+)'", block))
    assert set(named) == set(PERMISSIONS)
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in named.values())
