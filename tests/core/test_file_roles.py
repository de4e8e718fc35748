"""The same file roles in every domain: an endpoint file (``api.py``, ``admin_api.py``,
``*_api.py``) holds routes only. Its request and response models live in the domain's
``schemas.py`` and its queries in the domain's ``repository.py`` (or a service); so an
endpoint file defines no pydantic model, builds no SQL (nothing from SQLAlchemy but the
``Session`` type) and reads nothing through a session (``execute``, ``scalars``,
``scalar``, ``get``, ``query``). Writing through the unit of work (``add``, ``flush``,
``refresh``, ``delete``) is an endpoint's business and allowed."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

SRC = Path(__file__).resolve().parents[2] / "src" / "bancheng"

READS = {"execute", "scalars", "scalar", "get", "query"}
SESSION_NAMES = {"session", "db"}
SQLALCHEMY_ALLOWED = {("sqlalchemy.orm", "Session")}


def _endpoint_files() -> list[Path]:
    return sorted(p for pattern in ("*/api.py", "*/*_api.py") for p in SRC.glob(pattern))


def _is_session(node: ast.expr) -> bool:
    """``session``, ``db``, or an attribute of that name (``self.session``)."""
    if isinstance(node, ast.Name):
        return node.id in SESSION_NAMES
    return isinstance(node, ast.Attribute) and node.attr in SESSION_NAMES


def role_problems(path: Path) -> list[str]:
    """What in the endpoint file ``path`` belongs in ``schemas.py`` or ``repository.py``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = importlib.import_module(
        "bancheng." + ".".join(path.relative_to(SRC).with_suffix("").parts)
    )
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            cls = getattr(module, node.name, None)
            if isinstance(cls, type) and issubclass(cls, BaseModel):
                problems.append(f"{node.lineno}: pydantic model {node.name} (→ schemas.py)")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if (node.module, alias.name) not in SQLALCHEMY_ALLOWED:
                    problems.append(
                        f"{node.lineno}: from {node.module} import {alias.name} (→ repository.py)"
                    )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sqlalchemy"):
                    problems.append(f"{node.lineno}: import {alias.name} (→ repository.py)")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "select":
                problems.append(f"{node.lineno}: select(...) (→ repository.py)")
            elif isinstance(func, ast.Attribute) and (
                func.attr == "query" or (func.attr in READS and _is_session(func.value))
            ):
                problems.append(f"{node.lineno}: .{func.attr}(...) on a session (→ repository.py)")
    return sorted(problems, key=lambda p: int(p.split(":", 1)[0]))


ENDPOINT_FILES = _endpoint_files()


@pytest.mark.parametrize(
    "path", ENDPOINT_FILES, ids=[str(p.relative_to(SRC)) for p in ENDPOINT_FILES]
)
def test_endpoint_files_hold_no_models_and_no_queries(path: Path) -> None:
    problems = role_problems(path)
    assert not problems, f"{path.relative_to(SRC)}:\n  " + "\n  ".join(problems)


def test_the_check_finds_what_is_put_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not blind: a model and each kind of query put back in an endpoint
    file are found, with their lines."""
    domain = tmp_path / "bancheng" / "demo_domain"
    domain.mkdir(parents=True)
    (domain / "__init__.py").write_text("")
    (domain / "api.py").write_text(
        "from pydantic import BaseModel\n"
        "from sqlalchemy import select\n"
        "from sqlalchemy.orm import Session\n"
        "class Out(BaseModel):\n"
        "    id: int\n"
        "def one(session: Session) -> object:\n"
        "    session.add(object())\n"
        "    session.get(Out, 1)\n"
        "    return session.scalars(select(Out))\n"
    )
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path / "bancheng")
    import bancheng

    monkeypatch.setattr(bancheng, "__path__", [*bancheng.__path__, str(tmp_path / "bancheng")])
    for name in ("bancheng.demo_domain", "bancheng.demo_domain.api"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    problems = role_problems(domain / "api.py")
    for name in ("bancheng.demo_domain", "bancheng.demo_domain.api"):
        sys.modules.pop(name, None)
    assert problems == [
        "2: from sqlalchemy import select (→ repository.py)",
        "4: pydantic model Out (→ schemas.py)",
        "8: .get(...) on a session (→ repository.py)",
        "9: .scalars(...) on a session (→ repository.py)",
        "9: select(...) (→ repository.py)",
    ]
