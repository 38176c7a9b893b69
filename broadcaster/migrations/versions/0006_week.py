"""week: a slot remembers why it was saved over a conflict or overrun warning; bulletins.status indexed

Revision ID: 0006_week
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import broadcaster.models

revision = "0006_week"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slots") as batch:
        batch.add_column(sa.Column("override_warnings", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("override_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("override_at", broadcaster.models.UTCDateTime(), nullable=True))
    # The approver's queue count is on every page of an approver: counted from an index.
    op.create_index("ix_bulletins_status", "bulletins", ["status"])


def downgrade() -> None:
    op.drop_index("ix_bulletins_status", table_name="bulletins")
    with op.batch_alter_table("slots") as batch:
        batch.drop_column("override_at")
        batch.drop_column("override_by_id")
        batch.drop_column("override_reason")
        batch.drop_column("override_warnings")
