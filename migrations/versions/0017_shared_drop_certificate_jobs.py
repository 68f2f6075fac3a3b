"""Bulk certificates run on the background-job framework (jobs table): drop course_certificate_jobs.

Revision ID: 0017_shared
Revises: 0016_door_scan_clock
Create Date: 2026-11-29 09:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import campaign.core.types

# revision identifiers, used by Alembic.
revision = "0017_shared"
down_revision = "0016_door_scan_clock"
branch_labels = None
depends_on = None


def upgrade():
    # The old runner's rows only recorded progress (the certificates themselves are in
    # course_certificates): nothing to carry over into the jobs table.
    with op.batch_alter_table('course_certificate_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_certificate_jobs_course_id'))
    op.drop_table('course_certificate_jobs')


def downgrade():
    op.create_table('course_certificate_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', campaign.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', campaign.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_course_certificate_jobs_status_known')),
    sa.CheckConstraint('done >= 0 AND done <= total', name=op.f('ck_course_certificate_jobs_done_within_total')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_certificate_jobs_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_course_certificate_jobs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_certificate_jobs'))
    )
    with op.batch_alter_table('course_certificate_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_certificate_jobs_course_id'), ['course_id'], unique=False)
