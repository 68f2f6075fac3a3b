"""Signing keys: sealed private keys, rotation, a changed SECRET_KEY."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from campaign.checkin import codes, keys
from campaign.checkin.models import SigningKey
from campaign.extensions import db


def test_private_keys_are_sealed_and_bound_to_their_public_key():
    private = Ed25519PrivateKey.generate()
    public = keys.public_bytes(private.public_key())
    sealed = keys.encrypt_private_key(private, "secret-one")
    assert sealed.startswith("v1:")
    opened = keys.decrypt_private_key(sealed, public, "secret-one")
    assert opened is not None and keys.public_bytes(opened.public_key()) == public
    assert keys.decrypt_private_key(sealed, public, "secret-two") is None
    other = keys.public_bytes(Ed25519PrivateKey.generate().public_key())
    assert keys.decrypt_private_key(sealed, other, "secret-one") is None  # moved to another row
    assert keys.decrypt_private_key("v1:!!!", public, "secret-one") is None
    assert keys.decrypt_private_key("v9:abc", public, "secret-one") is None


def test_one_active_key_per_scope_and_rotation(app):
    first, _ = keys.signing_key(None)
    again, _ = keys.signing_key(None)
    assert first.id == again.id and first.scope == "global"
    second = keys.rotate_key(None)
    db.session.commit()
    assert second.id != first.id and first.retired_at is not None
    assert keys.active_key(None).id == second.id
    # Tickets of the retired key still verify.
    private = keys.decrypt_private_key(first.private_key_sealed, first.public_key, app.config["SECRET_KEY"])
    text = codes.sign(private, first.id, 5, codes.new_ticket_id())
    assert keys.key_cache().public_key(first.id) is not None
    assert codes.parse(text, keys.key_cache().public_key).key_id == first.id


def test_a_changed_secret_key_makes_a_new_signing_key(app):
    first, _ = keys.signing_key(None)
    db.session.commit()
    old_secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "rotated-secret"
    try:
        second, private = keys.signing_key(None)
        db.session.commit()
    finally:
        app.config["SECRET_KEY"] = old_secret
    assert second.id != first.id
    assert db.session.get(SigningKey, first.id).retired_at is not None
    assert keys.public_bytes(private.public_key()) == second.public_key


def test_the_private_key_is_never_stored_in_clear():
    key, private = keys.signing_key(None)
    db.session.commit()
    raw = private.private_bytes_raw()
    assert raw not in key.private_key_sealed.encode() and raw.hex() not in key.private_key_sealed
