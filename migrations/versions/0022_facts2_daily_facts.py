"""reports: per-commune daily facts and their freshness (issue 16 item 7)

Revision ID: 0022_facts2_daily_facts
Revises: 0022_lead_checkin_partial_idx
Create Date: 2026-11-29 15:30:00

"""
from alembic import op
import sqlalchemy as sa

from campaign.core.types import UTCDateTime


revision = "0022_facts2_daily_facts"
down_revision = "0022_lead_checkin_partial_idx"
branch_labels = None
depends_on = None

COUNTS = ("registrations", "certificates", "shifts", "places_needed", "places_filled", "shifts_filled")
MORE = ("vneid", "accounts", "households", "helped")


def upgrade():
    op.create_table(
        "report_daily_facts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("grp", sa.String(length=60), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.Column("hours", sa.Float(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in MORE],
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_report_daily_facts_campaign_id_campaigns"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "grp", "commune_code", "day", name=op.f("pk_report_daily_facts")),
    )
    op.create_table(
        "report_learner_facts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("household", sa.String(length=80), nullable=True),
        sa.Column("certificates", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_report_learner_facts_campaign_id_campaigns"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "commune_code", "day", "audience", "person_id",
                                name=op.f("pk_report_learner_facts")),
    )
    op.create_table(
        "report_fact_states",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_report_fact_states_campaign_id_campaigns"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_report_fact_states")),
    )


def downgrade():
    op.drop_table("report_fact_states")
    op.drop_table("report_learner_facts")
    op.drop_table("report_daily_facts")
