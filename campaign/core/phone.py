"""Phone numbers, in one place: Vietnamese numbers stored in E.164 (+84...), written nationally (09...)
and masked where a page shows them to someone who may not call them."""

from __future__ import annotations

import phonenumbers
from flask_babel import gettext as _

from campaign.core.services import DomainError


def normalise(raw: str | None, *, required: bool = False, field: str = "phone") -> str | None:
    """A Vietnamese phone number in E.164 (+84...); blank gives None (or, ``required``, the error).
    DomainError (on ``field``) when it is not a valid number."""
    raw = (raw or "").strip()
    if not raw and not required:
        return None
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(_("Enter a valid Vietnamese phone number, e.g. 0912 345 678."), field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(e164: str | None) -> str:
    """+84901234123 -> 0901234123 (how people write their numbers)."""
    if not e164:
        return ""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164


def mask(e164: str | None) -> str:
    """090•••123: enough to recognise one's own number, not enough to call it."""
    number = national(e164)
    if not number:
        return ""
    if len(number) < 7:
        return "•••"
    return f"{number[:3]}•••{number[-3:]}"
