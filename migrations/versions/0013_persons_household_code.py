"""Persons: the household's number in the village register (households with a trained member)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 08:47:47.207922

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_code', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('household_code')
