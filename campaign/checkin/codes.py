"""Ticket codes: compact, signed, free of personal data, parsed strictly without the database.

A ticket's QR carries ``T1`` followed by the RFC 4648 base32 (upper case, no padding) of::

    version (1 byte) | key id (uint32) | event id (uint32) | ticket id (10 random bytes) | Ed25519 signature (64)

The signature covers ``b"campaign-ticket\\0"`` + the first 19 bytes, so no field can be changed
without the signing key. Base32 upper case uses only QR "alphanumeric" characters, which a QR
encodes at 5.5 bits a character: the 83 bytes become 135 characters, a version 7 QR at level Q.

The **short code** printed under the QR is the first 40 bits of the ticket id in Crockford's base32
(``ABCD-EFGH``): easy to read aloud and type; it carries no signature, so it is only looked up by
an authorised steward within one event.

Everything here is pure: :func:`parse` rejects a forged, altered or truncated code with a
:class:`CodeError` before anything touches the database (the caller passes a function that returns
a public key for a key id from an in-memory cache).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
PREFIX = "T1"
DOMAIN = b"campaign-ticket\x00"
TICKET_ID_BYTES = 10
SIGNATURE_BYTES = 64
_HEADER = struct.Struct(">BII")  # version, key id, event id
PAYLOAD_BYTES = _HEADER.size + TICKET_ID_BYTES  # 19
CODE_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES  # 83
CODE_LENGTH = len(PREFIX) + (CODE_BYTES * 8 + 4) // 5  # 2 + 133 = 135 characters
MAX_UINT32 = 2**32 - 1

_BASE32 = re.compile(r"[A-Z2-7]+")
_BASE32_VALUE = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}
# The last character carries this many bits beyond the code's bytes; they must be zero.
_SPARE_BITS = (CODE_LENGTH - len(PREFIX)) * 5 - CODE_BYTES * 8
_SPARE_MASK = (1 << _SPARE_BITS) - 1
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_IN = {c: i for i, c in enumerate(CROCKFORD)} | {"O": 0, "I": 1, "L": 1}
SHORT_LENGTH = 8


class CodeError(ValueError):
    """The text is not a valid ticket code. ``reason``: malformed, unknown_key, bad_signature."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TicketCode:
    version: int
    key_id: int
    event_id: int
    ticket_id: bytes

    @property
    def token(self) -> str:
        """The ticket id as stored in the database (20 lower-case hex characters)."""
        return self.ticket_id.hex()

    @property
    def short_code(self) -> str:
        return short_code(self.ticket_id)

    def payload(self) -> bytes:
        return _HEADER.pack(self.version, self.key_id, self.event_id) + self.ticket_id


def new_ticket_id() -> bytes:
    return secrets.token_bytes(TICKET_ID_BYTES)


def sign(private_key: Ed25519PrivateKey, key_id: int, event_id: int, ticket_id: bytes) -> str:
    """The text of a ticket's QR code."""
    if not (0 < key_id <= MAX_UINT32 and 0 < event_id <= MAX_UINT32):
        raise ValueError("key id and event id must fit in 32 bits")
    if len(ticket_id) != TICKET_ID_BYTES:
        raise ValueError("ticket id must be 10 bytes")
    code = TicketCode(VERSION, key_id, event_id, ticket_id)
    payload = code.payload()
    signature = private_key.sign(DOMAIN + payload)
    return PREFIX + base64.b32encode(payload + signature).decode("ascii").rstrip("=")


def normalise(text: str) -> str:
    """What scanners and keyboards produce, made comparable: trimmed, upper case, no spaces."""
    return re.sub(r"[\s-]+", "", (text or "").strip()).upper()


def looks_like_code(text: str) -> bool:
    return normalise(text).startswith(PREFIX) and len(normalise(text)) > SHORT_LENGTH + 1


def decode(text: str) -> tuple[TicketCode, bytes]:
    """Split a code into its fields and signature; structural checks only (no key needed)."""
    text = normalise(text)
    if len(text) != CODE_LENGTH or not text.startswith(PREFIX):
        raise CodeError("malformed")
    body = text[len(PREFIX):]
    if not _BASE32.fullmatch(body):
        raise CodeError("malformed")
    padded = body + "=" * (-len(body) % 8)
    try:
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError):
        raise CodeError("malformed") from None
    if len(raw) != CODE_BYTES:
        raise CodeError("malformed")
    # Canonical form only: the spare bits of the last character must be zero, so a code has
    # exactly one spelling (no "altered but still valid" variants).
    if _BASE32_VALUE[body[-1]] & _SPARE_MASK:
        raise CodeError("malformed")
    version, key_id, event_id = _HEADER.unpack_from(raw)
    if version != VERSION or key_id == 0 or event_id == 0:
        raise CodeError("malformed")
    ticket_id = raw[_HEADER.size:PAYLOAD_BYTES]
    return TicketCode(version, key_id, event_id, ticket_id), raw[PAYLOAD_BYTES:]


def parse(text: str, public_key: Callable[[int], Ed25519PublicKey | bytes | None]) -> TicketCode:
    """Decode and verify a code. ``public_key(key_id)`` returns the key (or None when unknown);
    it must not query the database for a forged code (see keys.PublicKeyCache)."""
    code, signature = decode(text)
    key = public_key(code.key_id)
    if key is None:
        raise CodeError("unknown_key")
    if isinstance(key, bytes):
        key = Ed25519PublicKey.from_public_bytes(key)
    try:
        key.verify(signature, DOMAIN + code.payload())
    except InvalidSignature:
        raise CodeError("bad_signature") from None
    return code


def short_code(ticket_id: bytes) -> str:
    """``ABCD-EFGH``: the first 40 bits of the ticket id in Crockford base32."""
    value = int.from_bytes(ticket_id[:5], "big")
    chars = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(SHORT_LENGTH)))
    return f"{chars[:4]}-{chars[4:]}"


def parse_short_code(text: str) -> str | None:
    """A typed short code in its canonical form (``ABCD-EFGH``), or None if it cannot be one.
    Crockford's reading rules apply: O is 0, I and L are 1, case and dashes do not matter."""
    text = normalise(text)
    if len(text) != SHORT_LENGTH:
        return None
    try:
        chars = "".join(CROCKFORD[_CROCKFORD_IN[c]] for c in text)
    except KeyError:
        return None
    return f"{chars[:4]}-{chars[4:]}"
