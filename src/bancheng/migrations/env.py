"""Alembic environment: the URL comes from the one settings object (or the caller)."""

from __future__ import annotations

import re
from typing import Any

from alembic import context
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from bancheng.core.config import get_settings
from bancheng.models import metadata

config = context.config


def _url() -> str:
    return config.attributes.get("url") or get_settings().resolved_database_url


def _revision_id(message: str | None) -> str:
    """The next revision's id and file name: ``NNNN_slug``, numbered after the head."""
    heads = ScriptDirectory.from_config(config).get_heads()
    numbers = [int(m.group(1)) for h in heads if (m := re.match(r"(\d{4})_", h))]
    slug = re.sub(r"[^a-z0-9]+", "_", (message or "revision").lower()).strip("_")[:40]
    return f"{max(numbers, default=0) + 1:04d}_{slug.rstrip('_') or 'revision'}"


def _name_revision(context_: Any, revision: Any, directives: list[Any]) -> None:
    for script in directives:
        if not re.fullmatch(r"\d{4}_\w+", script.rev_id or ""):
            script.rev_id = _revision_id(script.message)


def _run(**where: Any) -> None:
    """Configure the context on ``where`` (a URL or a connection) and run the migrations."""
    context.configure(
        **where,
        target_metadata=metadata,
        render_as_batch=True,
        process_revision_directives=_name_revision,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    _run(url=_url(), literal_binds=True)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection=connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(connection=conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
