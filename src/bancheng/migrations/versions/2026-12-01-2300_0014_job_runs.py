"""job runs: the lock row and record of every periodic job's last run

Revision ID: 0014_job_runs
Revises: 0019_routing_learning
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0014_job_runs"
down_revision: str | Sequence[str] | None = "0019_routing_learning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("last_started_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_finished_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
