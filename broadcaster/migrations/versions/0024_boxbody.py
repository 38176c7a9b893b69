"""boxbody: a box keeps an emergency command's body (aired again after a crash cut it unheard)

A box killed in the first instant of an emergency used to record it interrupted, 0,0 s, and never
air it: the command had been received (``box_commands`` refuses a second delivery) and no plan
holds an emergency. The body lets the restarted box run it again while it has not expired.

Revision ID: 0024_boxbody
Revises: 0023_boxcheck
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_boxbody"
down_revision = "0023_boxcheck"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("box_commands") as batch:
        batch.add_column(sa.Column("body", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("box_commands") as batch:
        batch.drop_column("body")
