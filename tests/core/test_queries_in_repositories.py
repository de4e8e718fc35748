"""Every query lives in a repository: ``repository.py``, or a ``repository/`` package once
it passes about 500 lines (its modules are its sections). Services, jobs, sweepers and
commands call a named repository function that says what it reads or writes; they build
no SQL themselves.

What counts as a query, found by parsing each module under ``src/bancheng`` with ``ast``
(no import, so a module's side effects do not matter):

* a call of a statement builder imported from SQLAlchemy — ``select``, ``insert``,
  ``update``, ``delete``, ``text``, ``exists``, ``union``, ``union_all`` — whether taken
  by name (``from sqlalchemy import select``; an alias such as ``insert as pg_insert`` from
  ``sqlalchemy.dialects.postgresql`` counts) or through the module
  (``import sqlalchemy as sa``; ``sa.select(...)``). A local function that happens to be
  called ``update`` is not one: only names bound by an import from ``sqlalchemy`` count;
* a table's own statement method: ``Model.__table__.delete()`` (and ``insert``,
  ``update``, ``select``);
* a read through a session or connection — ``execute``, ``scalars``, ``scalar``,
  ``get``, ``get_one``, ``query``, ``connection`` called on a receiver named ``session``,
  ``db``, ``s``, ``conn`` or ``connection`` (or an attribute of that name, such as
  ``self.session``). Other receivers (``dict.get``, ``index.query``) are not sessions.

Writing through the unit of work (``add``, ``add_all``, ``flush``, ``delete``,
``refresh``, ``expire``) is not a query, and a service may do it; column expressions
(``func``, ``and_``, ``or_``) and types alone build no statement.

Exempt are the repositories, ``models.py`` (a table's own defaults and listeners), the
migrations, and the few infrastructure modules in ``ALLOWED``, each with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "bancheng"

BUILDERS = {"select", "insert", "update", "delete", "text", "exists", "union", "union_all"}
SESSION_READS = {"execute", "scalars", "scalar", "get", "get_one", "query", "connection"}
SESSION_NAMES = {"session", "db", "s", "conn", "connection"}

# Infrastructure that is the storage layer itself, not a domain's rules (path below
# src/bancheng → why its SQL stays where it is).
ALLOWED: dict[str, str] = {
    "core/cache.py": "the cache's own stamp table, bumped from a flush listener",
    "core/db.py": "engines and sessions, and found(): the select-one-or-NotFound that "
    "repositories call",
    "core/jobs.py": "the job runner's own lease and run-record rows",
    "core/ratelimit.py": "the rate limiter's own counter table",
    "main.py": "the readiness probe's SELECT 1",
    "audit/chain.py": "the tamper-evident chain's own storage: the head row locked and "
    "advanced in the flush that writes each log row; verify and purge walk it by seq",
    "ops/backup.py": "dump and restore of the whole database, table by table, in raw SQL",
}


def _is_exempt(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return (
        name in ("repository.py", "models.py")
        or "repository" in parts[:-1]
        or parts[0] == "migrations"
        or rel in ALLOWED
    )


def _sqlalchemy_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names bound to SQLAlchemy statement builders, and names bound to a
    SQLAlchemy module (``import sqlalchemy as sa``)."""
    builders: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in BUILDERS:
                    builders.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
    return builders, modules


def _is_session(node: ast.expr) -> bool:
    """``session``, ``db``, ``s``, ``conn``, ``connection``, or an attribute of that name."""
    if isinstance(node, ast.Name):
        return node.id in SESSION_NAMES
    return isinstance(node, ast.Attribute) and node.attr in SESSION_NAMES


def query_problems(source: str) -> list[str]:
    """Each query built in ``source``, as ``"<line>: <what>"``."""
    tree = ast.parse(source)
    builders, modules = _sqlalchemy_names(tree)
    problems: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            problems.append(f"{node.lineno}: {func.id}(...)")
        elif isinstance(func, ast.Attribute):
            if (
                func.attr in BUILDERS
                and isinstance(func.value, ast.Name)
                and func.value.id in modules
            ):
                problems.append(f"{node.lineno}: {func.value.id}.{func.attr}(...)")
            elif (
                func.attr in BUILDERS
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "__table__"
            ):
                problems.append(f"{node.lineno}: __table__.{func.attr}(...)")
            elif func.attr in SESSION_READS and _is_session(func.value):
                problems.append(f"{node.lineno}: .{func.attr}(...) on a session")
    return sorted(problems, key=lambda p: int(p.split(":", 1)[0]))


def _modules() -> list[str]:
    return sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py"))


def _problems_by_file() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rel in _modules():
        if _is_exempt(rel):
            continue
        problems = query_problems((SRC / rel).read_text(encoding="utf-8"))
        if problems:
            found[rel] = problems
    return found


def test_queries_live_in_repositories() -> None:
    found = _problems_by_file()
    assert not found, "queries outside a repository (→ the domain's repository.py):\n" + (
        "\n".join(f"  {rel}:\n    " + "\n    ".join(p) for rel, p in found.items())
    )


def test_allowed_files_exist_and_still_need_it() -> None:
    """An ALLOWED entry names a file that exists and still builds SQL; else it goes."""
    stale = sorted(
        rel
        for rel in ALLOWED
        if not (SRC / rel).is_file() or not query_problems((SRC / rel).read_text("utf-8"))
    )
    assert not stale, "no query (or no file) any more, remove from ALLOWED: " + ", ".join(stale)


def test_the_check_finds_what_is_put_back() -> None:
    """Each kind of query is found, with its line; unit-of-work writes, column
    expressions, a local ``update`` and other receivers' ``get``/``query`` are not."""
    source = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import func, select, text, update as sa_update\n"
        "from sqlalchemy.dialects.postgresql import insert as pg_insert\n"
        "def update(x): return x\n"
        "def f(session, names, index, self):\n"
        "    session.add(object()); session.flush(); session.delete(object())\n"
        "    names.get(1); index.query('x'); update({}); func.count()\n"
        "    session.get(object, 1)\n"
        "    return session.scalars(select(object))\n"
        "def g(s, conn, self):\n"
        "    s.execute(sa_update(object).values(a=1))\n"
        "    conn.execute(text('SELECT 1'))\n"
        "    self.session.scalar(sa.select(1))\n"
        "    pg_insert(object)\n"
        "    self.model.__table__.delete()\n"
    )
    assert query_problems(source) == [
        "8: .get(...) on a session",
        "9: .scalars(...) on a session",
        "9: select(...)",
        "11: .execute(...) on a session",
        "11: sa_update(...)",
        "12: .execute(...) on a session",
        "12: text(...)",
        "13: .scalar(...) on a session",
        "13: sa.select(...)",
        "14: pg_insert(...)",
        "15: __table__.delete(...)",
    ]


@pytest.mark.parametrize(
    ("rel", "exempt"),
    [
        ("cases/repository.py", True),
        ("insights/rollup_repository.py", False),
        ("routing/repository/similar.py", True),
        ("cases/models.py", True),
        ("migrations/versions/0001_baseline.py", True),
        ("core/jobs.py", True),
        ("cases/service.py", False),
        ("outbox/worker.py", False),
    ],
)
def test_which_files_are_repositories(rel: str, exempt: bool) -> None:
    assert _is_exempt(rel) is exempt
