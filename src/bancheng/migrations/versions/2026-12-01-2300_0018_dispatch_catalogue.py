"""The dispatch catalogue: matter → responsible and co-handling units

Revision ID: 0018_dispatch_catalogue
Revises: 0019_routing_learning
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import bancheng.core.types

revision: str = "0018_dispatch_catalogue"
down_revision: str | Sequence[str] | None = "0019_routing_learning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_catalogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter", sa.String(length=100), nullable=False),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "co_department_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_dispatch_catalogue_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_catalogue")),
        sa.UniqueConstraint("matter", name=op.f("uq_dispatch_catalogue_matter")),
    )
    with op.batch_alter_table("dispatch_catalogue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatch_catalogue_department_id"), ["department_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_catalogue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_catalogue_department_id"))

    op.drop_table("dispatch_catalogue")
