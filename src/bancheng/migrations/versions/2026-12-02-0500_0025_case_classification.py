"""Several blocker types per case; requests to end a case as unreasonable or invalid; the
rollup's counter of such cases

Revision ID: 0025_case_classification
Revises: 0024_rating_standard
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0025_case_classification"
down_revision: str | Sequence[str] | None = "0024_rating_standard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_blockers",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("blocker_type", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_blockers_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "blocker_type", name=op.f("pk_case_blockers")),
    )
    op.create_index("ix_case_blockers_type_case", "case_blockers", ["blocker_type", "case_id"])
    op.add_column("cases", sa.Column("end_request", sa.String(length=12), nullable=True))
    op.add_column("cases", sa.Column("end_request_basis", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("end_requested_by_id", sa.Integer(), nullable=True))
    op.add_column(
        "cases",
        sa.Column(
            "end_requested_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "case_daily_stats",
        sa.Column("unreasonable", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("case_daily_stats") as batch:
        batch.drop_column("unreasonable")
    with op.batch_alter_table("cases") as batch:
        for column in ("end_requested_at", "end_requested_by_id", "end_request_basis"):
            batch.drop_column(column)
        batch.drop_column("end_request")
    op.drop_index("ix_case_blockers_type_case", table_name="case_blockers")
    op.drop_table("case_blockers")
