"""Read a feed the way real calendar apps do: Mozilla's ical.js (Node), Home Assistant's `ical`
(PyPI) and `icalendar` itself; plus the byte-level checks parsers forgive (CRLF, folding)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

EXPAND_JS = Path(__file__).with_name("expand.mjs")
ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def check_bytes(body: bytes) -> None:
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "bare LF or CR"
    for line in lines:
        assert len(line) <= 75, f"line longer than 75 octets: {line!r}"
        line.decode("utf-8")  # folding never splits a character
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"
    assert not any(line.startswith(b"METHOD") for line in lines)


def icalendar_errors(body: bytes) -> list:
    cal = Calendar.from_ical(body)
    errors = list(cal.errors)
    for component in cal.walk():
        errors += list(component.errors)
    return errors


def _key(start) -> str:
    if isinstance(start, datetime):
        return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return start.isoformat()


def occurrences_icaljs(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    out = subprocess.run(["node", str(EXPAND_JS), start.isoformat(), end.isoformat()], input=body,
                         capture_output=True, check=True, cwd=ROOT, timeout=60)
    rows = json.loads(out.stdout)
    result = []
    for r in rows:
        if r["allDay"]:
            s = f"{r['start'][:4]}-{r['start'][4:6]}-{r['start'][6:]}" if "-" not in r["start"] else r["start"]
        else:
            s = r["start"].replace(".000Z", "Z")
        result.append((r["uid"], s, r["summary"], r["status"]))
    return sorted(result)


def occurrences_ical(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    from ical.calendar_stream import IcsCalendarStream

    cal = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    result = []
    for ev in cal.timeline_tz(TZ).overlapping(start.astimezone(TZ), end.astimezone(TZ)):
        status = ev.status.value if ev.status else "CONFIRMED"
        s = ev.start if isinstance(ev.start, datetime) else date(ev.start.year, ev.start.month, ev.start.day)
        result.append((ev.uid, _key(s), ev.summary, str(status)))
    return sorted(result)
