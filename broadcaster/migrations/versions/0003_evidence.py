"""evidence: each checkpoint signs the previous checkpoint's hash

Revision ID: 0003_evidence
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_evidence"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for checkpoints signed before this revision (format v1, which signed no predecessor).
    with op.batch_alter_table("checkpoints") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("prev_hash")
