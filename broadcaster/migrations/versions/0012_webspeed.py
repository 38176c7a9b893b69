"""webspeed: shared login limits and revoked sessions for several panel processes; an index
for the log's category + period filter

Revision ID: 0012_webspeed
Revises: 0010_join
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_webspeed"
down_revision = "0010_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ip", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_attempts")),
    )
    op.create_index("ix_panel_attempts_kind_ip_name_at", "panel_attempts",
                    ["kind", "ip", "name", "at"], unique=False)
    op.create_table(
        "revoked_sessions",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_revoked_sessions")),
    )
    op.create_index(op.f("ix_revoked_sessions_until"), "revoked_sessions", ["until"], unique=False)
    op.create_index("ix_evidence_category_scheduled_at", "evidence", ["category", "scheduled_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_evidence_category_scheduled_at", table_name="evidence")
    op.drop_index(op.f("ix_revoked_sessions_until"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
    op.drop_index("ix_panel_attempts_kind_ip_name_at", table_name="panel_attempts")
    op.drop_table("panel_attempts")
