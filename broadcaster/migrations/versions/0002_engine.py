"""priority heads stored as data: which priority bulletins lead an occurrence

Revision ID: 0002_engine
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_engine"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "occurrence_heads",
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["occurrence_id"], ["occurrences.id"],
                                name=op.f("fk_occurrence_heads_occurrence_id_occurrences"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"],
                                name=op.f("fk_occurrence_heads_bulletin_id_bulletins"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("occurrence_id", "bulletin_id", name=op.f("pk_occurrence_heads")),
    )
    with op.batch_alter_table("occurrence_heads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_occurrence_heads_bulletin_id"), ["bulletin_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("occurrence_heads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_occurrence_heads_bulletin_id"))
    op.drop_table("occurrence_heads")
