"""zones.created_at: when a village was added, so it owes no report for the months before

A village head of a commune that installed Loa xã today, or of a village added today, was told
last month's report was overdue. Villages of an older database get the date of the station's
first account (its installation) when there is one; none: NULL, which owes every period.

Revision ID: 0021_polish
Revises: 0020_join
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import broadcaster.models

revision = "0021_polish"
# Assigned 0010_join; main has since joined its heads in 0020_join: this follows it (one head).
down_revision = "0020_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zones") as batch:
        batch.add_column(sa.Column("created_at", broadcaster.models.UTCDateTime(), nullable=True))
    op.execute("UPDATE zones SET created_at = (SELECT MIN(created_at) FROM users)")


def downgrade() -> None:
    with op.batch_alter_table("zones") as batch:
        batch.drop_column("created_at")
