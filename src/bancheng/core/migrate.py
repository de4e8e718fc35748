"""Run Alembic migrations programmatically (``bancheng db upgrade``, tests, ``make run``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Revision id and file name are one: NNNN_slug (see migrations/env.py).
    cfg.set_main_option("file_template", "%%(rev)s")
    cfg.set_main_option("revision_environment", "true")
    if url:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url, connection), "heads")
