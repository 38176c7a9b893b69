"""Villages get coordinates (for the receivers' map): zones.latitude, zones.longitude.

Both NULL for a village not placed yet; set together (``broadcaster zone edit --lat --lon``).

Revision ID: 0011_receivers2
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_receivers2"
down_revision = "0010_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
