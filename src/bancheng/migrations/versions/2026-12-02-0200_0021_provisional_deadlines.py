"""Provisional working-day deadlines beyond the case clock (orders, decisions,
rectifications, extensions); merges the two heads

Revision ID: 0021_provisional_deadlines
Revises: 0018_dispatch_catalogue, 0020_audit_chain
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_provisional_deadlines"
down_revision: str | Sequence[str] | None = ("0018_dispatch_catalogue", "0020_audit_chain")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGGED = (
    "supervision_orders",
    "supervision_meeting_decisions",
    "rectifications",
    "deadline_extensions",
)


def upgrade() -> None:
    for table in FLAGGED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "deadline_provisional",
                    sa.Boolean(),
                    nullable=False,
                    server_default=sa.false(),
                )
            )
    # What a recomputation starts from: the decision's first day and the rectification's
    # number of working days (the setting may change after it was opened).
    with op.batch_alter_table("supervision_meeting_decisions") as batch:
        batch.add_column(sa.Column("deadline_start", sa.Date(), nullable=True))
    with op.batch_alter_table("rectifications") as batch:
        batch.add_column(sa.Column("deadline_workdays", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rectifications") as batch:
        batch.drop_column("deadline_workdays")
    with op.batch_alter_table("supervision_meeting_decisions") as batch:
        batch.drop_column("deadline_start")
    for table in reversed(FLAGGED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("deadline_provisional")
