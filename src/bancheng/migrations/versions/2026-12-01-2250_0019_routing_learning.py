"""Routing that learns: automatic-dispatch columns on cases, unit models and promotions

Revision ID: 0019_routing_learning
Revises: 0017_integrations
Create Date: 2026-12-01 22:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0019_routing_learning"
down_revision: str | Sequence[str] | None = "0017_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column(
            "auto_dispatched_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column("cases", sa.Column("auto_department_id", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("auto_misroute", sa.String(length=12), nullable=True))
    op.create_table(
        "routing_unit_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("created_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_eval", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("figures", bancheng.core.types.JSONType, nullable=False),
        sa.Column("artefact", sa.LargeBinary(), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("reverted_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reverted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["routing_unit_models.id"],
            name=op.f("fk_routing_unit_models_previous_id_routing_unit_models"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_unit_models")),
        sa.UniqueConstraint("version", name=op.f("uq_routing_unit_models_version")),
    )
    op.create_index(
        op.f("ix_routing_unit_models_active"), "routing_unit_models", ["active"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_routing_unit_models_active"), table_name="routing_unit_models")
    op.drop_table("routing_unit_models")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("auto_misroute")
        batch.drop_column("auto_department_id")
        batch.drop_column("auto_dispatched_at")
