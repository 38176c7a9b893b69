"""the public site: "Đăng công khai" on bulletins, their public keys, airings found in the evidence

Revision ID: 0007_public
Revises: 0001
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import broadcaster.models

revision = "0007_public"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("public_key", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    # Bulletins written before this revision: commune-wide ones are published (the default an
    # editor gets from now on), village-only notices are not; each gets its random public key.
    bind.execute(sa.text("UPDATE bulletins SET public = (zone_id IS NULL)"))
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM bulletins WHERE public_key IS NULL"))]
    for bulletin_id in ids:
        bind.execute(sa.text("UPDATE bulletins SET public_key = :key WHERE id = :id"),
                     {"key": secrets.token_urlsafe(9), "id": bulletin_id})
    with op.batch_alter_table("bulletins") as batch:
        batch.create_unique_constraint(op.f("uq_bulletins_public_key"), ["public_key"])

    op.create_table(
        "public_airings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("aired_at", broadcaster.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"],
                                name=op.f("fk_public_airings_evidence_id_evidence")),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"], ondelete="CASCADE",
                                name=op.f("fk_public_airings_bulletin_id_bulletins")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_airings")),
        sa.UniqueConstraint("evidence_id", "bulletin_id", name="uq_public_airing"),
    )
    op.create_index(op.f("ix_public_airings_evidence_id"), "public_airings", ["evidence_id"])
    op.create_index("ix_public_airings_bulletin_aired", "public_airings", ["bulletin_id", "aired_at"])
    op.create_table(
        "public_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_evidence_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", broadcaster.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_scan")),
    )


def downgrade() -> None:
    op.drop_table("public_scan")
    op.drop_index("ix_public_airings_bulletin_aired", table_name="public_airings")
    op.drop_index(op.f("ix_public_airings_evidence_id"), table_name="public_airings")
    op.drop_table("public_airings")
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_constraint(op.f("uq_bulletins_public_key"), type_="unique")
        batch.drop_column("public_key")
        batch.drop_column("public")
