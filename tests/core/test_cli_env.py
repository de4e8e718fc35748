"""The commands take their database from the click context (``core.cli.Env``), and the
tests have one database double (``tests/conftest.py``: ``db``) and one user factory
(``make_user``): nothing patches the process's database, builds its own stand-in for a
``Database`` or constructs ``User`` rows by hand."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from bancheng.core import clock
from bancheng.core.cli import Env
from bancheng.core.db import get_database
from bancheng.sla.models import CalendarYear
from tests.conftest import REPO

SRC = REPO / "src" / "bancheng"
TESTS = REPO / "tests"
THIS = Path(__file__).resolve()


def _trees(root: Path, pattern: str) -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text("utf-8"))) for p in sorted(root.rglob(pattern))]


def _names(tree: ast.AST) -> set[str]:
    """Every name, attribute and string constant the module mentions."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found


def test_no_command_reaches_for_the_global_database() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p, tree in _trees(SRC, "cli.py")
        if p != SRC / "core" / "cli.py" and "get_database" in _names(tree)
    ]
    assert offenders == []


def test_no_test_patches_the_database_or_builds_its_own_double() -> None:
    patches, doubles, users = [], [], []
    for path, tree in _trees(TESTS, "*.py"):
        if path in (THIS, TESTS / "conftest.py"):
            continue
        where = str(path.relative_to(REPO))
        if {"get_database", "set_database"} & _names(tree):
            patches.append(where)
        for node in ast.walk(tree):
            # A class with a ``transaction`` method is a home-made Database; a session
            # joining the test's transaction is one the double (``db.session()``) gives.
            if isinstance(node, ast.ClassDef) and any(
                isinstance(f, ast.FunctionDef) and f.name == "transaction" for f in node.body
            ):
                doubles.append(f"{where}:{node.lineno} {node.name}")
            if isinstance(node, ast.keyword) and node.arg == "join_transaction_mode":
                doubles.append(f"{where}:{node.value.lineno} join_transaction_mode")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "User"
            ):
                users.append(f"{where}:{node.lineno}")
    assert (patches, doubles, users) == ([], [], [])


def test_env_opens_the_process_database_only_when_asked(db) -> None:
    assert Env(database=db).database is db
    env = Env()
    assert env._database is None  # building it opens nothing
    assert env.database is get_database()  # the session's test database (conftest)


def test_commands_work_on_the_database_they_are_given(cli, session) -> None:
    """The command sees a row that only the test's (uncommitted) transaction holds."""
    session.add(CalendarYear(year=2099, source="test-only", loaded_at=clock.now(), complete=True))
    session.flush()
    out = cli("calendar", "years", "--json")
    assert out.exit_code == 0, out.output
    listed = {y["year"]: y["source"] for y in json.loads(out.output)["years"]}
    assert listed[2099] == "test-only"
    with get_database().transaction(write=False) as other:  # another connection: not there
        assert other.get(CalendarYear, 2099) is None
