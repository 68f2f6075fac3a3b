"""Forgetting a person: the texts that identify them (their name, their phone in every written form)
are removed from the records that may quote them beyond their own row: the audit log's details and
the notifications. Each feature removes the rest (events: the person and their registrations;
courses: certificates and their PDFs; jobs: stored import and export files).

``identifying_texts(name, phone)`` gives what to look for; ``redact(value, texts)`` replaces it in a
string or a JSON value; ``redact_log_and_notices(texts)`` rewrites the audit log and the notices.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import String, cast, or_, select

from campaign.core.models import AuditLog, Notification
from campaign.core.text import fold
from campaign.extensions import db

REDACTED = "—"


def identifying_texts(name: str | None, phone: str | None) -> list[str]:
    """The name as written, and the phone as +84…, 0… and its bare national number (what a
    spreadsheet keeps of a number without its leading 0)."""
    out = []
    if name and name.strip() and name.strip() != REDACTED:
        out.append(name.strip())
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        national = digits[2:] if phone.startswith("+84") else digits.lstrip("0")
        if len(national) >= 6:
            out += [phone, "0" + national, national]
    return list(dict.fromkeys(out))


def _pattern(texts: Sequence[str]) -> re.Pattern | None:
    if not texts:
        return None
    # The longest first, so that "+84912…" goes whole before its "912…" part.
    return re.compile("|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True)), re.IGNORECASE)


def redact(value, texts: Sequence[str]):
    """``value`` (a string, or a JSON-like structure of them) with every text replaced by "—"."""
    pattern = _pattern(texts)
    if pattern is None:
        return value

    def walk(v):
        if isinstance(v, str):
            return pattern.sub(REDACTED, v)
        if isinstance(v, dict):
            return {walk(k): walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [walk(x) for x in v]
        return v

    return walk(value)


def holds(text: str, texts: Iterable[str]) -> bool:
    """Whether ``text`` holds one of ``texts`` (names compared without accents or case)."""
    folded = fold(text)
    return any(t in text or fold(t) in folded for t in texts if t)


def _like_forms(texts: Sequence[str]) -> list[str]:
    """Each text as written and as JSON writes it (\\u escapes), for a LIKE on the stored JSON."""
    forms = []
    for t in texts:
        forms.append(t)
        escaped = json.dumps(t)[1:-1]
        if escaped != t:
            forms.append(escaped)
    return forms


def _like(column, form: str):
    escaped = form.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return column.like(f"%{escaped}%", escape="!")


def redact_log_and_notices(texts: Sequence[str]) -> int:
    """Rewrite the audit entries and notifications that quote one of ``texts``. The caller commits."""
    texts = [t for t in texts if t]
    if not texts:
        return 0
    forms = _like_forms(texts)
    changed = 0
    details = cast(AuditLog.details, String)
    for entry in db.session.scalars(select(AuditLog).where(or_(*(_like(details, f) for f in forms)))):
        new = redact(entry.details, texts)
        if new != entry.details:
            entry.details = new
            changed += 1
    for note in db.session.scalars(select(Notification).where(or_(
            *(_like(Notification.subject, t) for t in texts), *(_like(Notification.body, t) for t in texts)))):
        note.subject, note.body = redact(note.subject, texts), redact(note.body, texts)
        changed += 1
    return changed
