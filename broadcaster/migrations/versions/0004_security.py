"""security: what changed in a bulletin's history; when a password last changed

Revision ID: 0004_security
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import broadcaster.models

revision = "0004_security"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_changed_at", broadcaster.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
    with op.batch_alter_table("bulletin_events", schema=None) as batch_op:
        batch_op.drop_column("changes")
