"""check-in: device clocks clamped and flagged, scans of removed devices set aside

Revision ID: 0016_door_scan_clock
Revises: 0015_cal_signup_changes
Create Date: 2026-11-29 09:20:00

"""
import sqlalchemy as sa
from alembic import op

import campaign.core.types

revision = "0016_door_scan_clock"
down_revision = "0015_cal_signup_changes"
branch_labels = None
depends_on = None

OLD = "result IN ('accepted', 'duplicate', 'invalid', 'revoked', 'wrong_event')"
NEW = "result IN ('accepted', 'duplicate', 'invalid', 'revoked', 'wrong_event', 'set_aside')"


def upgrade():
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reported_time", campaign.core.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_checkins_result_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_checkins_result_known"), NEW)
        batch_op.create_check_constraint(batch_op.f("ck_checkins_flag_known"),
                                         "flag IS NULL OR flag IN ('clock', 'after_revoke')")


def downgrade():
    op.execute("DELETE FROM checkins WHERE result = 'set_aside'")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_checkins_flag_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_checkins_result_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_checkins_result_known"), OLD)
        batch_op.drop_column("reported_time")
        batch_op.drop_column("flag")
