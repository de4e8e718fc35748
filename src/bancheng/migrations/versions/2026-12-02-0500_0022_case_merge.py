"""并单: a case merged into a master as a duplicate (cases.merged_into_id) and the
history of merges and their undoing (case_merges)

Revision ID: 0022_case_merge
Revises: 0021_provisional_deadlines, 0014_job_runs (merges the two heads)
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0022_case_merge"
down_revision: str | Sequence[str] | None = ("0021_provisional_deadlines", "0014_job_runs")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_cases_merged_into_id"), "cases", ["merged_into_id"], unique=False)
    op.create_table(
        "case_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "master_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("merged_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undo_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_merges_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["master_id"],
            ["cases.id"],
            name=op.f("fk_case_merges_master_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_merges")),
    )
    op.create_index(op.f("ix_case_merges_case_id"), "case_merges", ["case_id"], unique=False)
    op.create_index(op.f("ix_case_merges_master_id"), "case_merges", ["master_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_merges_master_id"), table_name="case_merges")
    op.drop_index(op.f("ix_case_merges_case_id"), table_name="case_merges")
    op.drop_table("case_merges")
    op.drop_index(op.f("ix_cases_merged_into_id"), table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("merged_into_id")
