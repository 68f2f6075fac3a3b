"""volunteer signups: time of the last change and a change counter (calendar feeds)

Revision ID: 0015_cal_signup_changes
Revises: 0014
Create Date: 2026-11-29 09:20:00

"""
import sqlalchemy as sa
from alembic import op

import campaign.core.types

# revision identifiers, used by Alembic.
revision = '0015_cal_signup_changes'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('volunteer_signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', campaign.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
    # existing signups: last changed when made (or cancelled), never counted
    op.execute("UPDATE volunteer_signups SET updated_at = COALESCE(cancelled_at, created_at), sequence = 0")
    with op.batch_alter_table('volunteer_signups', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=campaign.core.types.UTCDateTime(), nullable=False)
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)


def downgrade():
    with op.batch_alter_table('volunteer_signups', schema=None) as batch_op:
        batch_op.drop_column('sequence')
        batch_op.drop_column('updated_at')
