"""the directive's loop: campaign plans and targets, bulletin themes, village reports

Revision ID: 0005_directive
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import broadcaster.models

revision = "0005_directive"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("doc_number", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("doc_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("doc_issuer", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("doc_title", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("themes", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("target_per_week", sa.Integer(), nullable=False, server_default="7"))
        batch.add_column(sa.Column("target_minutes_per_week", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("peak_starts_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("peak_ends_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("peak_target_per_day", sa.Integer(), nullable=False, server_default="0"))
    # A campaign made before weekly targets keeps its daily target, counted over a week.
    op.execute("UPDATE campaigns SET target_per_week = target_per_day * 7")
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("theme", sa.String(length=300), nullable=False, server_default=""))
    op.create_table(
        "campaign_zone_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("airings_per_week", sa.Integer(), nullable=False),
        sa.Column("minutes_per_week", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_zone_targets_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_zone_targets_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_zone_targets")),
        sa.UniqueConstraint("campaign_id", "zone_id", name="uq_campaign_zone_target"),
    )
    op.create_table(
        "report_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", broadcaster.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_report_periods_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_periods")),
        sa.UniqueConstraint("key", name=op.f("uq_report_periods_key")),
    )
    op.create_table(
        "village_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", broadcaster.models.UTCDateTime(), nullable=True),
        sa.Column("first_submitted_at", broadcaster.models.UTCDateTime(), nullable=True),
        sa.Column("accepted_at", broadcaster.models.UTCDateTime(), nullable=True),
        sa.Column("created_at", broadcaster.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", broadcaster.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_village_reports_zone_id_zones")),
        sa.ForeignKeyConstraint(["period_id"], ["report_periods.id"],
                                name=op.f("fk_village_reports_period_id_report_periods")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_village_reports_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_reports")),
        sa.UniqueConstraint("zone_id", "period_id", name="uq_village_report_zone_period"),
    )
    op.create_table(
        "village_report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("at", broadcaster.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["village_reports.id"], ondelete="CASCADE",
                                name=op.f("fk_village_report_events_report_id_village_reports")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_village_report_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_report_events")),
    )
    op.create_index(op.f("ix_village_report_events_report_id"), "village_report_events", ["report_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_village_report_events_report_id"), table_name="village_report_events")
    op.drop_table("village_report_events")
    op.drop_table("village_reports")
    op.drop_table("report_periods")
    op.drop_table("campaign_zone_targets")
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_column("theme")
    with op.batch_alter_table("campaigns") as batch:
        for name in ("peak_target_per_day", "peak_ends_on", "peak_starts_on", "target_minutes_per_week",
                     "target_per_week", "themes", "doc_title", "doc_issuer", "doc_date", "doc_number"):
            batch.drop_column(name)
