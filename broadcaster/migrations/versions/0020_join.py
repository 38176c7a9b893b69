"""Join the second round of feature migrations into one head.

The receivers' village coordinates (0011_receivers2) and the panel's shared state (0012_webspeed)
were built side by side from 0010_join; this revision joins them so ``alembic heads`` names one
revision and the next migration has a single parent.

Revision ID: 0020_join
"""
from __future__ import annotations

revision = "0020_join"
down_revision = ("0011_receivers2", "0012_webspeed")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the parents hold every table and column."""


def downgrade() -> None:
    """Nothing to undo here; each parent undoes its own part."""
