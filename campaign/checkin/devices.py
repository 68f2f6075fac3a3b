"""Registered check-in devices: a phone set up for one event from a one-time QR,
scanning with its own token and no login, revocable (it uploads what it holds, then wipes itself).

Secrets are never stored: the setup code and the device token are random (``secrets``) and only
their SHA-256 is kept. The setup code travels in the address's fragment (``/checkin/setup#...``),
which browsers never send to the server, so it reaches no log. Activation is one UPDATE with the
conditions in its WHERE clause (unused, not expired, not revoked): of two phones presenting the same
code at the same moment exactly one gets a row back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from campaign.checkin.models import CheckIn, CheckinDevice
from campaign.core.services import DomainError, audit
from campaign.core.text import nfc
from campaign.core.types import utcnow
from campaign.events.models import Event
from campaign.extensions import db

SETUP_TTL = timedelta(minutes=15)
# A device's "last seen" (and reported outbox size) is written at most this often, not at every scan.
TOUCH_EVERY = timedelta(seconds=20)
LABEL_MAX = 80


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def add_device(event: Event, label: str, actor) -> tuple[CheckinDevice, str]:
    """A new device for the event, waiting to be set up; returns it and its one-time setup code."""
    from campaign.checkin.services import is_organiser

    if not is_organiser(actor, event):
        raise DomainError(_("Only the event's organisers can register check-in devices."))
    label = " ".join(nfc(label or "").split())
    if not label:
        raise DomainError(_("Give the device a name, e.g. the gate and whose phone it is."), "label")
    if len(label) > LABEL_MAX:
        raise DomainError(_("At most %(count)d characters.", count=LABEL_MAX), "label")
    device = CheckinDevice(event_id=event.id, label=label, created_by_id=actor.id)
    db.session.add(device)
    secret = _new_setup(device)
    db.session.flush()
    audit("checkin.device_added", device, actor=actor, event_id=event.id)
    return device, secret


def new_setup_code(device: CheckinDevice, actor) -> str:
    """A fresh setup code for a device not set up yet (the old code stops working)."""
    if device.activated_at is not None or device.revoked_at is not None:
        raise DomainError(_("This device is already set up or was removed; add a new device instead."))
    secret = _new_setup(device)
    db.session.flush()
    audit("checkin.device_setup_renewed", device, actor=actor, event_id=device.event_id)
    return secret


def _new_setup(device: CheckinDevice) -> str:
    secret = secrets.token_urlsafe(24)
    device.setup_hash = digest(secret)
    device.setup_expires_at = utcnow() + SETUP_TTL
    return secret


@dataclass
class Activation:
    device: CheckinDevice
    token: str


def activate(setup_code: str, now: datetime | None = None) -> Activation:
    """Consume a setup code (once, atomically) and give the device its token. Never commits."""
    now = now or utcnow()
    if not isinstance(setup_code, str) or not 16 <= len(setup_code) <= 100:
        raise DomainError(_("This setup code is not valid. Ask the organiser for a new one."))
    setup_hash = digest(setup_code)
    token = secrets.token_urlsafe(32)
    device_id = db.session.execute(
        update(CheckinDevice)
        .where(CheckinDevice.setup_hash == setup_hash, CheckinDevice.setup_used_at.is_(None),
               CheckinDevice.setup_expires_at > now, CheckinDevice.revoked_at.is_(None))
        .values(setup_used_at=now, activated_at=now, last_seen_at=now, token_hash=digest(token))
        .returning(CheckinDevice.id).execution_options(synchronize_session=False)).scalar()
    if device_id is None:
        device = db.session.scalar(select(CheckinDevice).where(CheckinDevice.setup_hash == setup_hash))
        if device is None:
            raise DomainError(_("This setup code is not valid. Ask the organiser for a new one."))
        if device.setup_used_at is not None:
            raise DomainError(_("This setup code was already used. Each code sets up one device; "
                                "ask the organiser for a new one."))
        if device.revoked_at is not None:
            raise DomainError(_("This device was removed from the event."))
        raise DomainError(_("This setup code has expired (codes last %(minutes)d minutes). "
                            "Ask the organiser for a new one.", minutes=int(SETUP_TTL.total_seconds() // 60)))
    device = db.session.get(CheckinDevice, device_id)
    db.session.refresh(device)
    audit("checkin.device_activated", device, event_id=device.event_id)
    return Activation(device=device, token=token)


def authenticate(token: str) -> CheckinDevice | None:
    """The device holding this token, unless it reported its wipe (then the token is dead). A
    revoked device is returned: it may still upload what it holds."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(CheckinDevice).where(
        CheckinDevice.token_hash == digest(token), CheckinDevice.wiped_at.is_(None)))


def touch(device: CheckinDevice, pending: int | None, now: datetime | None = None) -> bool:
    """Note that the device was seen (and how many scans it holds), at most every TOUCH_EVERY."""
    now = now or utcnow()
    if (device.last_seen_at is not None and now - device.last_seen_at < TOUCH_EVERY
            and (pending is None or pending == device.pending_scans)):
        return False
    device.last_seen_at = now
    if pending is not None:
        device.pending_scans = pending
    return True


def revoke(device: CheckinDevice, actor) -> None:
    """Remove a device from the event. Its online scans are refused from now on; its uploads are
    still accepted (what happened at the door is never dropped) until it reports its wipe. A device
    never set up has nothing to wipe: its setup code simply stops working."""
    if device.revoked_at is not None:
        return
    now = utcnow()
    device.revoked_at = now
    device.revoked_by_id = actor.id
    if device.activated_at is None:
        device.wiped_at = now
        device.setup_hash = None
    db.session.flush()
    audit("checkin.device_revoked", device, actor=actor, event_id=device.event_id)


def report_wiped(device: CheckinDevice, pending: int | None = None) -> None:
    """The revoked device uploaded everything and deleted its data: its token dies here."""
    if device.revoked_at is None:
        raise DomainError(_("This device was not removed from the event."))
    if device.wiped_at is None:
        device.wiped_at = utcnow()
        device.pending_scans = pending if pending is not None else 0
        db.session.flush()
        audit("checkin.device_wiped", device, event_id=device.event_id)


def covers(device: CheckinDevice, event: Event) -> bool:
    """A device scans at its event and at the event's children (bridge points, sessions)."""
    from campaign.checkin.services import event_chain

    if device.wiped_at is not None:
        return False
    return device.event_id in [e.id for e in event_chain(event)]


def can_see_names(device: CheckinDevice, event: Event) -> bool:
    """Names reach a device only while the organiser who registered it may see them."""
    from campaign.checkin.services import can_see_names as user_can_see_names

    creator = device.created_by
    return creator is not None and creator.active and user_can_see_names(creator, event)


@dataclass
class DeviceRow:
    device: CheckinDevice
    scans: int


def device_rows(event: Event) -> list[DeviceRow]:
    """The event's devices, newest first, with who added them and the number of scans each made:
    two queries."""
    found = list(db.session.scalars(select(CheckinDevice).options(joinedload(CheckinDevice.created_by))
                                    .where(CheckinDevice.event_id == event.id)
                                    .order_by(CheckinDevice.created_at.desc(), CheckinDevice.id.desc())
                                    .limit(200)).all())
    counts = dict(db.session.execute(
        select(CheckIn.checkin_device_id, func.count()).where(
            CheckIn.checkin_device_id.in_([d.id for d in found])).group_by(CheckIn.checkin_device_id)).all()) \
        if found else {}
    return [DeviceRow(d, counts.get(d.id, 0)) for d in found]
