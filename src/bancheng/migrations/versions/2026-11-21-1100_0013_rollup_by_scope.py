"""The rollup by data scope: scope column, dirty days, scope units, light snapshots

The rollup is derived data: the old rows are dropped and the next refresh rebuilds them.

Revision ID: 0013_rollup_scope
Revises: 0012_merge
Create Date: 2026-11-21 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0013_rollup_scope"
down_revision: str | Sequence[str] | None = "0012_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "registered",
    "resolved",
    "resolved_on_spot",
    "cannot_by_policy",
    "solved",
    "resolved_with_deadline",
    "on_time",
    "responded",
    "overdue",
    "rated",
    "satisfied",
    "bad",
    "transferred",
    "returned",
    "reopened",
    "rectify_due",
    "rectified",
    "callback_due",
    "called_back",
)


def _stats_table(with_scope: bool) -> None:
    cols: list[Any] = [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    ]
    if with_scope:
        cols.append(sa.Column("scope", sa.String(length=24), nullable=False))
    cols += [
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=True),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTERS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_daily_stats")),
    ]
    op.create_table("case_daily_stats", *cols)


def upgrade() -> None:
    with op.batch_alter_table("case_daily_stats", schema=None) as batch_op:
        batch_op.drop_index("ix_case_daily_stats_dimension_day")
    op.drop_table("case_daily_stats")
    _stats_table(with_scope=True)
    with op.batch_alter_table("case_daily_stats", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_daily_stats_scope_dimension_day", ["scope", "dimension", "day"], unique=False
        )
        batch_op.create_index("ix_case_daily_stats_day", ["day"], unique=False)

    op.drop_table("insights_rollup_state")
    op.create_table(
        "insights_rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("complete_before", sa.Date(), nullable=False),
        sa.Column("built_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_rollup_state")),
    )
    op.create_table(
        "insights_scope_units",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "department_id", name=op.f("pk_insights_scope_units")),
    )
    op.create_table(
        "insights_dirty_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_insights_dirty_days")),
    )
    op.create_table(
        "insights_light_snapshots",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("green", sa.Integer(), nullable=False),
        sa.Column("yellow", sa.Integer(), nullable=False),
        sa.Column("red", sa.Integer(), nullable=False),
        sa.Column("computed_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_insights_light_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("insights_light_snapshots")
    op.drop_table("insights_dirty_days")
    op.drop_table("insights_scope_units")
    op.drop_table("insights_rollup_state")
    op.create_table(
        "insights_rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("complete_before", sa.Date(), nullable=False),
        sa.Column("built_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_rollup_state")),
    )
    with op.batch_alter_table("case_daily_stats", schema=None) as batch_op:
        batch_op.drop_index("ix_case_daily_stats_day")
        batch_op.drop_index("ix_case_daily_stats_scope_dimension_day")
    op.drop_table("case_daily_stats")
    _stats_table(with_scope=False)
    with op.batch_alter_table("case_daily_stats", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_daily_stats_dimension_day", ["dimension", "day"], unique=False
        )
