"""Join the feature branches of the schema into one head.

Each feature (engine, evidence, security, directive, week, public site, receivers) added its
migration on its own branch from 0001, so they could be built side by side; this revision joins
them, so the next migration has a single parent and ``alembic heads`` names one revision.

Revision ID: 0010_join
"""
from __future__ import annotations

revision = "0010_join"
down_revision = (
    "0002_engine",
    "0003_evidence",
    "0004_security",
    "0005_directive",
    "0006_week",
    "0007_public",
    "0008_receivers",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the parents hold every table and column."""


def downgrade() -> None:
    """Nothing to undo here; each parent undoes its own part."""
