"""Routing targets (category → department) and links between duplicate cases

Revision ID: 0011_routing
Revises: 0007_sweep_indexes
Create Date: 2026-11-21 09:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0011_routing"
down_revision: str | Sequence[str] | None = "0007_sweep_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # as cases.id


def upgrade() -> None:
    op.create_table(
        "routing_targets",
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_routing_targets_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_routing_targets")),
    )
    op.create_table(
        "case_links",
        sa.Column("case_id", CASE_ID, nullable=False),
        sa.Column("other_case_id", CASE_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["other_case_id"],
            ["cases.id"],
            name=op.f("fk_case_links_other_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "other_case_id", name=op.f("pk_case_links")),
    )
    op.create_index(op.f("ix_case_links_other_case_id"), "case_links", ["other_case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_links_other_case_id"), table_name="case_links")
    op.drop_table("case_links")
    op.drop_table("routing_targets")
