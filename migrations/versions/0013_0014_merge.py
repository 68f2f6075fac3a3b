"""Merge the two revisions after 0011: 0013 (persons.household_code) and 0014 (jobs, indicator values)

Revision ID: 0013_0014
Revises: 0013, 0014
Create Date: 2026-11-22 09:02:00

Nothing to do: the two branches touch different tables.
"""

revision = '0013_0014'
down_revision = ('0013', '0014')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
