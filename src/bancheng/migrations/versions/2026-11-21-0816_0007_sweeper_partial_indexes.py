"""Ledger and sweeper indexes: state by registration, and the sweeper's partial work lists

Revision ID: 0007_sweep_indexes
Revises: 0006_case_clock
Create Date: 2026-11-21 08:16:30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_sweep_indexes"
down_revision: str | Sequence[str] | None = "0006_case_clock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = "state IN ('accepted', 'dispatched', 'in_progress', 'registered', 'reopened')"
PARTIAL = {
    "ix_cases_yellow_pending": ("yellow_at", f"yellow_notified_at IS NULL AND {RUNNING}"),
    "ix_cases_red_pending": ("due_at", f"red_notified_at IS NULL AND {RUNNING}"),
    "ix_cases_escalation_pending": ("due_date", f"escalated_at IS NULL AND {RUNNING}"),
}


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_state_registered", ["state", "registered_at"])
        for name, (column, where) in PARTIAL.items():
            batch_op.create_index(
                name, [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where)
            )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in PARTIAL:
            batch_op.drop_index(name)
        batch_op.drop_index("ix_cases_state_registered")
