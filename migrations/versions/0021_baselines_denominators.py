"""baselines (denominators of the percentage indicators), communes' remote mark

Revision ID: 0021_baselines_denominators
Revises: 0020_msgs_outbox
Create Date: 2026-11-29 11:50:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.core.types


revision = "0021_baselines_denominators"
down_revision = "0021_plan_tasks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", campaign.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_baselines_value_nonnegative")),
        sa.CheckConstraint("kind IN ('civil_servants', 'pupils', 'adults', 'workers', 'households', 'residents_16')",
                           name=op.f("ck_baselines_group_known")),
        sa.ForeignKeyConstraint(["commune_code"], ["communes.code"], name=op.f("fk_baselines_commune_code_communes")),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"], name=op.f("fk_baselines_entered_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint("commune_code", "kind", "as_of", name=op.f("uq_baselines_commune_code_kind_as_of")),
    )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remote", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.drop_column("remote")
    op.drop_table("baselines")
