"""Merge the citizen, supervision, insights and routing branches

Revision ID: 0012_merge
Revises: 0008_citizen, 0009_supervision, 0010_insights, 0011_routing
Create Date: 2026-11-21 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012_merge"
down_revision: str | Sequence[str] | None = (
    "0008_citizen",
    "0009_supervision",
    "0010_insights",
    "0011_routing",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
