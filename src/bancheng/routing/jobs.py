"""Scheduled work of routing: the learning job opens its own units of work."""

from __future__ import annotations

from bancheng.core.db import Database, get_database
from bancheng.routing.learning import LearnResult, learn


def run_learning(db: Database | None = None) -> LearnResult:
    """Train a unit-routing candidate from the deployment's cases and promote it if it is
    better at the objective (``routing.learning.learn``). Safe to run on every instance:
    one run records per tick (PostgreSQL advisory lock, and a check that no other run
    recorded a model since this one read the cases)."""
    database = db or get_database()
    return learn(
        lambda: database.transaction(write=False), lambda: database.transaction(write=True)
    )
