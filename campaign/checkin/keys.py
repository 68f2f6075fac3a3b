"""Signing keys for tickets: Ed25519, one active key per campaign (or a global one), rotatable.

* **Private keys never leave the server.** They are stored encrypted with AES-256-GCM under a key
  derived from ``SECRET_KEY`` with HKDF-SHA256 (salt and info name this purpose, so the derived key
  is used for nothing else). The public key is the associated data, so a ciphertext cannot be
  moved to another key's row. A database dump alone does not give the private keys; if
  ``SECRET_KEY`` changes, old keys can no longer sign (a new key is made on the next issue) but
  every ticket they signed still verifies, because verification needs only the public key.
* **Rotation**: :func:`rotate_key` retires the active key (it stops signing) and makes a new one;
  retired keys stay valid for their tickets. :func:`revoke_key` (a compromised key) makes every
  ticket it signed invalid.
* **Verification without the database**: :class:`PublicKeyCache` keeps every public key of the
  process in memory, loaded in one query and reloaded at most every ``RELOAD_SECONDS`` when an
  unknown key id appears, so a forged code costs no query.
"""

from __future__ import annotations

import base64
import os
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign.checkin.models import SigningKey, key_scope
from campaign.core.services import audit
from campaign.core.types import utcnow
from campaign.extensions import db

HKDF_SALT = b"campaign/checkin/signing-keys"
HKDF_INFO = b"ticket signing key encryption v1"
ENCRYPTION_VERSION = "v1"
RELOAD_SECONDS = 2.0  # an unknown key id reloads the keys at most this often
MAX_AGE_SECONDS = 60.0  # and known keys are reloaded this often (a key revoked by another process)


def _wrapping_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(
        secret_key.encode("utf-8"))


def encrypt_private_key(private_key: Ed25519PrivateKey, secret_key: str) -> str:
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    public = public_bytes(private_key.public_key())
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key(secret_key)).encrypt(nonce, raw, public)
    return f"{ENCRYPTION_VERSION}:" + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt_private_key(sealed: str, public: bytes, secret_key: str) -> Ed25519PrivateKey | None:
    """The private key, or None if it cannot be opened (SECRET_KEY changed, row tampered with)."""
    version, _, data = sealed.partition(":")
    if version != ENCRYPTION_VERSION:
        return None
    try:
        blob = base64.b64decode(data, validate=True)
        raw = AESGCM(_wrapping_key(secret_key)).decrypt(blob[:12], blob[12:], public)
    except (ValueError, InvalidTag):
        return None
    key = Ed25519PrivateKey.from_private_bytes(raw)
    if public_bytes(key.public_key()) != public:
        return None
    return key


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def create_key(campaign_id: int | None, actor=None) -> SigningKey:
    """A new active key for the campaign (None: the global key for events outside any campaign)."""
    private = Ed25519PrivateKey.generate()
    public = public_bytes(private.public_key())
    key = SigningKey(campaign_id=campaign_id, scope=key_scope(campaign_id), public_key=public,
                     private_key_sealed=encrypt_private_key(private, current_app.config["SECRET_KEY"]))
    db.session.add(key)
    db.session.flush()
    audit("checkin.key_created", key, actor=actor, campaign_id=campaign_id)
    key_cache().invalidate()
    return key


def active_key(campaign_id: int | None) -> SigningKey | None:
    return db.session.scalar(select(SigningKey).where(SigningKey.scope == key_scope(campaign_id),
                                                      SigningKey.retired_at.is_(None)))


def signing_key(campaign_id: int | None, actor=None) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The key that signs new tickets of this campaign, made (or replaced) when needed."""
    key = active_key(campaign_id)
    if key is not None:
        private = decrypt_private_key(key.private_key_sealed, key.public_key, current_app.config["SECRET_KEY"])
        if private is not None:
            return key, private
        # SECRET_KEY changed: the old key still verifies its tickets but can no longer sign.
        key.retired_at = utcnow()
        db.session.flush()
    try:
        with db.session.begin_nested():
            key = create_key(campaign_id, actor=actor)
    except IntegrityError:
        # Tickets are issued inside registrations: two first registrations of a campaign may make
        # its key at the same moment. The loser of the unique index signs with the winner's key.
        key = active_key(campaign_id)
        if key is None:
            raise
    private = decrypt_private_key(key.private_key_sealed, key.public_key, current_app.config["SECRET_KEY"])
    assert private is not None
    return key, private


def rotate_key(campaign_id: int | None, actor=None) -> SigningKey:
    old = active_key(campaign_id)
    if old is not None:
        old.retired_at = utcnow()
        db.session.flush()
        audit("checkin.key_retired", old, actor=actor)
    return create_key(campaign_id, actor=actor)


def revoke_key(key: SigningKey, actor=None) -> None:
    """A compromised key: every ticket it signed stops being valid."""
    key.revoked_at = key.revoked_at or utcnow()
    key.retired_at = key.retired_at or key.revoked_at
    db.session.flush()
    audit("checkin.key_revoked", key, actor=actor)
    key_cache().invalidate()


class PublicKeyCache:
    """Every public key in memory: key id -> (Ed25519PublicKey, campaign id, revoked)."""

    def __init__(self):
        self._keys: dict[int, tuple[Ed25519PublicKey, int | None, bool]] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = 0.0

    def _load(self) -> None:
        rows = db.session.execute(
            select(SigningKey.id, SigningKey.public_key, SigningKey.campaign_id, SigningKey.revoked_at)).all()
        keys = {row.id: (Ed25519PublicKey.from_public_bytes(bytes(row.public_key)), row.campaign_id,
                         row.revoked_at is not None) for row in rows}
        with self._lock:
            self._keys = keys
            self._loaded_at = time.monotonic()

    def entry(self, key_id: int) -> tuple[Ed25519PublicKey, int | None, bool] | None:
        found = self._keys.get(key_id)
        age = time.monotonic() - self._loaded_at
        if self._loaded_at and age < MAX_AGE_SECONDS and (found is not None or age < RELOAD_SECONDS):
            return found
        self._load()
        return self._keys.get(key_id)

    def public_key(self, key_id: int) -> Ed25519PublicKey | None:
        found = self.entry(key_id)
        return found[0] if found else None

    def warm(self) -> None:
        if not self._loaded_at:
            self._load()


def key_cache() -> PublicKeyCache:
    return current_app.extensions.setdefault("checkin_public_keys", PublicKeyCache())
