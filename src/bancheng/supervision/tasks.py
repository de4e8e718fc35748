"""Scheduled work: ``run_sweep`` opens its own unit of work (for a scheduler or the CLI)."""

from __future__ import annotations

from bancheng.core.db import Database, get_database
from bancheng.supervision.service import sweep


def run_sweep(db: Database | None = None) -> dict[str, int]:
    with (db or get_database()).transaction(write=True) as session:
        return sweep(session)
