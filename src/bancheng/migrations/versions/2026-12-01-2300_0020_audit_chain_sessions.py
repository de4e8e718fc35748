"""等保: hash-chained operation and login logs, idle sessions, password history

Revision ID: 0020_audit_chain
Revises: 0017_integrations
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bancheng.core.types

revision: str = "0020_audit_chain"
down_revision: str | Sequence[str] | None = "0017_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOGS = ("operation_logs", "login_logs")


def upgrade() -> None:
    for table in LOGS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column("prev_hash", sa.String(length=80), nullable=True))
            batch.add_column(sa.Column("row_hash", sa.String(length=80), nullable=True))
            batch.create_unique_constraint(f"uq_{table}_chain_seq", ["chain_seq"])
    heads = op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=80), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_heads")),
    )
    op.bulk_insert(
        heads,
        [
            {"chain": c, "last_seq": 0, "last_hash": "", "anchor_seq": 0, "anchor_hash": ""}
            for c in ("operations", "logins")
        ],
    )
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(
            sa.Column("last_seen_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("changed_at", bancheng.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    with op.batch_alter_table("password_history") as batch:
        batch.create_index(batch.f("ix_password_history_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("password_history") as batch:
        batch.drop_index(batch.f("ix_password_history_user_id"))
    op.drop_table("password_history")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("last_seen_at")
    op.drop_table("audit_chain_heads")
    for table in LOGS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_chain_seq", type_="unique")
            batch.drop_column("row_hash")
            batch.drop_column("prev_hash")
            batch.drop_column("chain_seq")
