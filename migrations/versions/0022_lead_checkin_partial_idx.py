"""check-in: the device and undo indexes hold only the rows they serve (partial), so a steward's scan
writes two index entries fewer

Revision ID: 0022_lead_checkin_partial_idx
Revises: 0021_resident_groups
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_lead_checkin_partial_idx"
down_revision = "0021_resident_groups"
branch_labels = None
depends_on = None

DEVICE = "checkin_device_id IS NOT NULL"
CHANGED = "changed_seq IS NOT NULL"


def upgrade():
    op.drop_index("ix_checkins_checkin_device_id", table_name="checkins")
    op.create_index("ix_checkins_checkin_device_id", "checkins", ["checkin_device_id"],
                    postgresql_where=sa.text(DEVICE), sqlite_where=sa.text(DEVICE))
    op.drop_index("ix_checkins_event_changed_seq", table_name="checkins")
    op.create_index("ix_checkins_event_changed_seq", "checkins", ["event_id", "changed_seq"],
                    postgresql_where=sa.text(CHANGED), sqlite_where=sa.text(CHANGED))


def downgrade():
    op.drop_index("ix_checkins_event_changed_seq", table_name="checkins")
    op.create_index("ix_checkins_event_changed_seq", "checkins", ["event_id", "changed_seq"])
    op.drop_index("ix_checkins_checkin_device_id", table_name="checkins")
    op.create_index("ix_checkins_checkin_device_id", "checkins", ["checkin_device_id"])
