"""What the ``bancheng`` commands work on: the environment object on the click context.

The root group (``bancheng.cli.main``) puts one ``Env`` on the context (``obj``); a command
receives it with ``@pass_env`` and opens its units of work with
``env.database.transaction()``. No command reaches for the process's database itself, so a
test hands the commands its own: ``CliRunner().invoke(main, args, obj=Env(database=db))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from bancheng.core.db import Database, get_database


class Env:
    """The database the commands use: the one given, or else the process's database built
    from the settings (``BANCHENG_DATABASE_URL``) at its first use, so commands that touch
    no database (``openapi``, ``admin generate-keys``) never open one."""

    def __init__(self, database: Database | None = None) -> None:
        self._database = database

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = get_database()
        return self._database


# ``ensure=True``: a command group invoked on its own (without the root) still gets an Env.
pass_env = click.make_pass_decorator(Env, ensure=True)

_F = TypeVar("_F", bound=Callable[..., Any])


def flag(name: str, help: str | None = None) -> Callable[[_F], _F]:
    """An on/off option ``name`` (``--replace``), off unless given."""
    return click.option(name, is_flag=True, help=help)


def json_flag(help: str = "输出 JSON。") -> Callable[[_F], _F]:
    """``--json`` (the parameter ``as_json``): print the result as JSON."""
    return click.option("--json", "as_json", is_flag=True, help=help)
