"""12345 work orders, Open311 tokens, case locations and fixed deadlines, 好差评 channel

Revision ID: 0017_integrations
Revises: 0016_outbox
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0017_integrations"
down_revision: str | Sequence[str] | None = "0016_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # as cases.id
UTC = bancheng.core.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as t:
        t.add_column(sa.Column("fixed_due_at", UTC, nullable=True))
        t.add_column(sa.Column("hotline_order_number", sa.String(length=64), nullable=True))
        t.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        t.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        t.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        t.add_column(sa.Column("coord_datum", sa.String(length=8), nullable=True))
        t.add_column(sa.Column("location_source", sa.String(length=16), nullable=True))
        t.add_column(sa.Column("wgs84_lat", sa.Float(), nullable=True))
        t.add_column(sa.Column("wgs84_lng", sa.Float(), nullable=True))
    op.create_index(op.f("ix_cases_hotline_order_number"), "cases", ["hotline_order_number"])
    op.create_index("ix_cases_wgs84", "cases", ["wgs84_lat", "wgs84_lng"])
    with op.batch_alter_table("evaluations") as t:
        t.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
    op.create_table(
        "hotline_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("case_id", CASE_ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("times_received", sa.Integer(), nullable=False),
        sa.Column("payload", bancheng.core.types.JSONType, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("withdrawn_at", UTC, nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_hotline_orders_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_orders")),
        sa.UniqueConstraint("order_number", name=op.f("uq_hotline_orders_order_number")),
    )
    op.create_index(op.f("ix_hotline_orders_case_id"), "hotline_orders", ["case_id"])
    op.create_table(
        "open311_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("case_id", CASE_ID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_open311_tokens_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_open311_tokens")),
    )
    op.create_index(op.f("ix_open311_tokens_case_id"), "open311_tokens", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_open311_tokens_case_id"), table_name="open311_tokens")
    op.drop_table("open311_tokens")
    op.drop_index(op.f("ix_hotline_orders_case_id"), table_name="hotline_orders")
    op.drop_table("hotline_orders")
    with op.batch_alter_table("evaluations") as t:
        t.drop_column("channel")
    op.drop_index("ix_cases_wgs84", table_name="cases")
    op.drop_index(op.f("ix_cases_hotline_order_number"), table_name="cases")
    with op.batch_alter_table("cases") as t:
        for name in (
            "wgs84_lng",
            "wgs84_lat",
            "location_source",
            "coord_datum",
            "longitude",
            "latitude",
            "address",
            "hotline_order_number",
            "fixed_due_at",
        ):
            t.drop_column(name)
