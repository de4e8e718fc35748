"""好差评 after GB/T 39734-2020: versioned indicator sets per channel type (seeded with
version 1), per-indicator scores and bad-review reasons on evaluations, the rated window
and staff member; reply templates for the action dialogs

Revision ID: 0024_rating_standard
Revises: 0023_co_handling
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import bancheng.core.types

revision: str = "0024_rating_standard"
down_revision: str | Sequence[str] | None = "0023_co_handling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    sets = op.create_table(
        "indicator_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_type", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indicators", _json(), nullable=False),
        sa.Column("bad_reasons", _json(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_sets")),
        sa.UniqueConstraint("channel_type", "version", name="uq_indicator_sets_channel_version"),
    )
    from bancheng.feedback.standard import SEED

    now = datetime.now(UTC)
    op.bulk_insert(
        sets,
        [
            {
                "channel_type": kind,
                "version": 1,
                "indicators": indicators,
                "bad_reasons": reasons,
                "active": True,
                "created_at": now,
            }
            for kind, (indicators, reasons) in SEED.items()
        ],
    )
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("indicator_set_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("scores", _json(), nullable=True))
        batch.add_column(sa.Column("bad_reasons", _json(), nullable=True))
        batch.add_column(sa.Column("window_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_evaluations_indicator_set_id_indicator_sets"),
            "indicator_sets",
            ["indicator_set_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_evaluations_window_id_service_windows"),
            "service_windows",
            ["window_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_evaluations_staff_id_users"), "users", ["staff_id"], ["id"]
        )
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
    )
    op.create_index(op.f("ix_reply_templates_action"), "reply_templates", ["action"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reply_templates_action"), table_name="reply_templates")
    op.drop_table("reply_templates")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_constraint(op.f("fk_evaluations_staff_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_evaluations_window_id_service_windows"), type_="foreignkey")
        batch.drop_constraint(
            op.f("fk_evaluations_indicator_set_id_indicator_sets"), type_="foreignkey"
        )
        for col in ("staff_id", "window_id", "bad_reasons", "scores", "indicator_set_id"):
            batch.drop_column(col)
    op.drop_table("indicator_sets")
