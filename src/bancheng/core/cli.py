"""What the ``bancheng`` commands work on: the environment object on the click context.

The root group (``bancheng.cli.main``) puts one ``Env`` on the context (``obj``); a command
receives it with ``@pass_env`` and opens its units of work with
``env.database.transaction()``. No command reaches for the process's database itself, so a
test hands the commands its own: ``CliRunner().invoke(main, args, obj=Env(database=db))``.
"""

from __future__ import annotations

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
