"""resident: registration on someone's behalf (registration groups: the contact and their consent)

Revision ID: 0021_resident_groups
Revises: 0020_msgs_outbox
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa

from campaign.core.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0021_resident_groups"
down_revision = '0021_teams_comms_recognition'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'registration_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('contact_name', sa.String(length=120), nullable=False),
        sa.Column('contact_phone', sa.String(length=20), nullable=True),
        sa.Column('relation', sa.String(length=20), nullable=False),
        sa.Column('consent_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('consent_text', sa.String(length=40), nullable=False),
        sa.Column('registered_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("relation IN ('relative', 'neighbour', 'steward', 'other')",
                           name=op.f('ck_registration_groups_relation_known')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_registration_groups_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'],
                                name=op.f('fk_registration_groups_registered_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_groups')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_registration_groups_token_hash')),
    )
    with op.batch_alter_table('registration_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_groups_event_id'), ['event_id'], unique=False)
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_registrations_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_registrations_group_id_registration_groups'),
                                    'registration_groups', ['group_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registrations_group_id_registration_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_registrations_group_id'))
        batch_op.drop_column('group_id')
    with op.batch_alter_table('registration_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_groups_event_id'))
    op.drop_table('registration_groups')
