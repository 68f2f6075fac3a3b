"""One Vietnamese term per act (docs/words.md): the door scan is "check-in" everywhere, "điểm danh" is
only a class's roll call, and nobody is a "người soát vé"."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _messages():
    for path in sorted((ROOT / "campaign").glob("*/translations/vi/LC_MESSAGES/messages.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale="vi"):
                if message.id:
                    ids = message.id if isinstance(message.id, tuple) else (message.id,)
                    strings = message.string if isinstance(message.string, tuple) else (message.string,)
                    yield path.parts[-5], " ".join(ids), " ".join(s or "" for s in strings)


def test_the_door_scan_has_one_name():
    wrong = []
    for feature, msgid, msgstr in _messages():
        text = msgstr.lower()
        if "soát vé" in text:
            wrong.append(f"{feature}: {msgid!r} → {msgstr!r}")
        english = msgid.lower()
        door = "check" in english and ("in" in english) and "attendance" not in english
        if door and "điểm danh" in text:
            wrong.append(f"{feature}: {msgid!r} → {msgstr!r}")
    assert not wrong, "door scan not called check-in:\n" + "\n".join(wrong)


def test_roll_call_is_diem_danh():
    found = {msgid: msgstr for _, msgid, msgstr in _messages() if msgid in ("Roll call", "Attendance sheet")}
    assert found and all("điểm danh" in s.lower() for s in found.values()), found
    stewards = {msgid: msgstr for _, msgid, msgstr in _messages() if msgid in ("Steward", "Check-in stewards")}
    assert stewards and all(s == "Người phụ trách check-in" for s in stewards.values()), stewards
