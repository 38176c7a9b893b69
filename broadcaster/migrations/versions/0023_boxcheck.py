"""boxcheck: a box's air-check reaches the commune (issue 12, hearing what a village box aired)

On the box, ``box_airchecks`` is the upload queue (capped, oldest dropped with a note). At the
commune, ``receiver_evidence`` learns where the box's air-check is kept once its bytes matched
the hash the box signed (``kept_aircheck_path``, ``kept_aircheck_at``), or why it never will be
(``aircheck_note``). The box's own ``aircheck_path`` is hashed in its chain and stays untouched.

Revision ID: 0023_boxcheck
Revises: 0022_speed
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import broadcaster.models

revision = "0023_boxcheck"
down_revision = "0022_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "box_airchecks",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("relpath", sa.String(length=400), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("queued_at", broadcaster.models.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("told", sa.Boolean(), nullable=False),
        sa.Column("done_at", broadcaster.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_box_airchecks")),
    )
    op.create_index(op.f("ix_box_airchecks_state"), "box_airchecks", ["state"], unique=False)
    with op.batch_alter_table("receiver_evidence") as batch:
        batch.add_column(sa.Column("kept_aircheck_path", sa.String(length=400), nullable=True))
        batch.add_column(sa.Column("kept_aircheck_at", broadcaster.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("aircheck_note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("receiver_evidence") as batch:
        batch.drop_column("aircheck_note")
        batch.drop_column("kept_aircheck_at")
        batch.drop_column("kept_aircheck_path")
    op.drop_index(op.f("ix_box_airchecks_state"), table_name="box_airchecks")
    op.drop_table("box_airchecks")
