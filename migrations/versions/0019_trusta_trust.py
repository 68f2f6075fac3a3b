"""trust: self-registered persons (a typed phone reveals nobody), the province of audit entries

Revision ID: 0019_trusta_trust
Revises: 0018_rough_tickets
Create Date: 2026-11-29 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_trusta_trust"
down_revision = "0018_rough_tickets"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_registered', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index('uq_persons_phone')
        batch_op.create_index('uq_persons_phone', ['phone'], unique=True,
                              postgresql_where=sa.text('phone IS NOT NULL AND NOT self_registered'),
                              sqlite_where=sa.text('phone IS NOT NULL AND NOT self_registered'))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province_code', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_log_province', ['province_code', 'id'], unique=False)
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
    # The province of the entries already written, where the record says it.
    for table, province in (
        ('events', 'SELECT e.province_code FROM events e WHERE e.id = CAST(audit_log.object_id AS INTEGER)'),
        ('registrations', 'SELECT e.province_code FROM registrations r JOIN events e ON e.id = r.event_id '
                          'WHERE r.id = CAST(audit_log.object_id AS INTEGER)'),
        ('persons', 'SELECT c.province_code FROM persons p JOIN communes c ON c.code = p.commune_code '
                    'WHERE p.id = CAST(audit_log.object_id AS INTEGER)'),
        ('courses', 'SELECT e.province_code FROM courses co JOIN events e ON e.id = co.event_id '
                    'WHERE co.id = CAST(audit_log.object_id AS INTEGER)'),
        ('campaigns', 'SELECT ca.province_code FROM campaigns ca WHERE ca.id = CAST(audit_log.object_id AS INTEGER)'),
    ):
        op.execute(f"UPDATE audit_log SET province_code = ({province}) WHERE object_type = '{table}' "
                   "AND province_code IS NULL AND object_id <> 'None'")


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_at')
        batch_op.drop_index('ix_audit_log_province')
        batch_op.drop_column('province_code')
    op.execute("UPDATE persons SET phone = NULL WHERE self_registered")  # they may share phones
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('uq_persons_phone')
        batch_op.create_index('uq_persons_phone', ['phone'], unique=True,
                              postgresql_where=sa.text('phone IS NOT NULL'),
                              sqlite_where=sa.text('phone IS NOT NULL'))
        batch_op.drop_column('self_registered')
