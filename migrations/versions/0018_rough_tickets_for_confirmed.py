"""tickets for every confirmed registration

Until now a ticket was issued when its registration page or printed sheet was first shown; tickets
are now issued when a registration is confirmed. This data migration issues the missing ticket of
every confirmed registration (and revokes, as "cancelled", a live ticket whose registration is no
longer confirmed), so a live ticket exists exactly for each confirmed registration.

Signing needs the application's SECRET_KEY (run through ``flask db upgrade``, which has it); without
an application context it does nothing.

Revision ID: 0018_rough_tickets
Revises: 0017_shared
Create Date: 2026-11-29 09:10:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0018_rough_tickets"
down_revision = "0017_shared"
branch_labels = None
depends_on = None

_keys = sa.table("checkin_signing_keys", sa.column("id", sa.Integer), sa.column("campaign_id", sa.Integer),
                 sa.column("scope", sa.String), sa.column("public_key", sa.LargeBinary),
                 sa.column("private_key_sealed", sa.String), sa.column("created_at", sa.DateTime),
                 sa.column("retired_at", sa.DateTime), sa.column("revoked_at", sa.DateTime))
_tickets = sa.table("checkin_tickets", sa.column("id", sa.Integer), sa.column("registration_id", sa.Integer),
                    sa.column("event_id", sa.Integer), sa.column("key_id", sa.Integer), sa.column("token", sa.String),
                    sa.column("short_code", sa.String), sa.column("code", sa.String),
                    sa.column("issued_at", sa.DateTime), sa.column("revoked_at", sa.DateTime),
                    sa.column("revoke_reason", sa.String))
_regs = sa.table("registrations", sa.column("id", sa.Integer), sa.column("event_id", sa.Integer),
                 sa.column("status", sa.String))
_events = sa.table("events", sa.column("id", sa.Integer), sa.column("campaign_id", sa.Integer))


def _now():
    # UTCDateTime stores naive UTC on SQLite and timestamptz on PostgreSQL; both accept this value.
    return datetime.now(UTC).replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else datetime.now(UTC)


def upgrade():
    try:
        from flask import current_app
        secret = current_app.config["SECRET_KEY"]
    except (ImportError, RuntimeError, KeyError):
        return
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from campaign.checkin import codes
    from campaign.checkin.keys import decrypt_private_key, encrypt_private_key, public_bytes

    bind = op.get_bind()
    live = sa.select(_tickets.c.id).where(_tickets.c.registration_id == _regs.c.id, _tickets.c.revoked_at.is_(None))
    missing = bind.execute(sa.select(_regs.c.id, _regs.c.event_id, _events.c.campaign_id)
                           .join(_events, _events.c.id == _regs.c.event_id)
                           .where(_regs.c.status == "confirmed", ~live.exists())
                           .order_by(_regs.c.id)).all()
    now = _now()
    bind.execute(_tickets.update().where(
        _tickets.c.revoked_at.is_(None),
        _tickets.c.registration_id.in_(sa.select(_regs.c.id).where(_regs.c.status != "confirmed")))
        .values(revoked_at=now, revoke_reason=sa.case(
            (_tickets.c.registration_id.in_(sa.select(_regs.c.id).where(_regs.c.status == "waitlisted")),
             "waitlisted"), else_="cancelled")))
    signers = {}

    def signer(campaign_id):
        if campaign_id in signers:
            return signers[campaign_id]
        scope = "global" if campaign_id is None else f"campaign:{campaign_id}"
        row = bind.execute(sa.select(_keys).where(_keys.c.scope == scope, _keys.c.retired_at.is_(None))).first()
        private = decrypt_private_key(row.private_key_sealed, bytes(row.public_key), secret) if row else None
        if private is None:
            if row is not None:  # SECRET_KEY changed: the key still verifies but can no longer sign
                bind.execute(_keys.update().where(_keys.c.id == row.id).values(retired_at=now))
            private = Ed25519PrivateKey.generate()
            key_id = bind.execute(_keys.insert().values(
                campaign_id=campaign_id, scope=scope, public_key=public_bytes(private.public_key()),
                private_key_sealed=encrypt_private_key(private, secret), created_at=now)
                .returning(_keys.c.id)).scalar_one()
        else:
            key_id = row.id
        signers[campaign_id] = (key_id, private)
        return signers[campaign_id]

    for reg_id, event_id, campaign_id in missing:
        key_id, private = signer(campaign_id)
        while True:
            ticket_id = codes.new_ticket_id()
            short = codes.short_code(ticket_id)
            if bind.execute(sa.select(_tickets.c.id).where(_tickets.c.short_code == short)).first() is None:
                break
        bind.execute(_tickets.insert().values(
            registration_id=reg_id, event_id=event_id, key_id=key_id, token=ticket_id.hex(), short_code=short,
            code=codes.sign(private, key_id, event_id, ticket_id), issued_at=now))


def downgrade():
    pass  # the tickets stay: they are valid tickets of confirmed registrations
