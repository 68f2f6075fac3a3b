"""Text helpers for Vietnamese: accent-insensitive search keys and normalisation."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str | None) -> str:
    """Normalise to NFC and collapse white space (what every stored name goes through)."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str | None) -> str:
    """An accent-insensitive, lower-case search key: 'Đồng Nai' -> 'dong nai'."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the folded query anywhere, with LIKE wildcards escaped (escape='\\')."""
    q = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{q}%"
