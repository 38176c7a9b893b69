"""speed: an index for the log's status filter

Revision ID: 0022_speed
Revises: 0021_polish
"""
from __future__ import annotations

from alembic import op

revision = "0022_speed"
down_revision = "0021_polish"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "What was missed / failed": a rare status was found by walking the whole log newest first.
    op.create_index("ix_evidence_status", "evidence", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_evidence_status", table_name="evidence")
