"""Read a feed the way real calendar apps do: Mozilla's ical.js (Node, Thunderbird), libical (GNOME,
Evolution; through Debian's python3-gi), Home Assistant's `ical`, recurring-ical-events (on
`icalendar`) and `icalendar` itself; plus the byte-level checks parsers forgive (CRLF, folding).

``read_all`` gives each reader's occurrences as (uid, start, end, summary, status), start and end in
UTC (``2026-10-06T11:00:00Z``) or as dates (``2026-10-10``) for all-day events."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

EXPAND_JS = Path(__file__).with_name("expand.mjs")
EXPAND_LIBICAL = Path(__file__).with_name("expand_libical.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-gi and gir1.2-ical-3.0
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
    components = [line for line in lines if line.startswith(b"BEGIN:")]
    assert len(components) >= 2, "a VCALENDAR needs at least one component (RFC 5545 3.6)"


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


# --- every reader, full rows ---------------------------------------------------------------------

def _js_time(value: str, all_day: bool) -> str:
    if all_day:
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if "-" not in value else value
    return value.replace(".000Z", "Z")


def rows_icaljs(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    out = subprocess.run(["node", str(EXPAND_JS), start.isoformat(), end.isoformat()], input=body,
                         capture_output=True, check=True, cwd=ROOT, timeout=60)
    return sorted((r["uid"], _js_time(r["start"], r["allDay"]), _js_time(r["end"], r["allDay"]), r["summary"],
                   r["status"] or "CONFIRMED") for r in json.loads(out.stdout))


def libical(body: bytes, start: datetime, end: datetime) -> dict:
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run(
            [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', '3.0')"], capture_output=True).returncode:
        raise AssertionError("libical is needed: apt-get install -y gir1.2-ical-3.0 python3-gi (see README)")
    out = subprocess.run([SYSTEM_PYTHON, str(EXPAND_LIBICAL), start.isoformat(), end.isoformat()], input=body,
                         capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout)


def rows_libical(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    result = libical(body, start, end)
    assert result["errors"] == [], result["errors"]
    return sorted((r["uid"], r["start"], r["end"], r["summary"], r["status"]) for r in result["occurrences"])


def rows_ical(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    from ical.calendar_stream import IcsCalendarStream

    cal = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    result = []
    for ev in cal.timeline_tz(TZ).overlapping(start.astimezone(TZ), end.astimezone(TZ)):
        status = ev.status.value if ev.status else "CONFIRMED"
        result.append((ev.uid, _key(_plain(ev.start)), _key(_plain(ev.end)), ev.summary, str(status)))
    return sorted(result)


def rows_recurring(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    import recurring_ical_events

    cal = Calendar.from_ical(body)
    result = []
    for ev in recurring_ical_events.of(cal).between(start, end):
        s, e = ev["DTSTART"].dt, ev["DTEND"].dt
        result.append((str(ev["UID"]), _key(_plain(s)), _key(_plain(e)), str(ev["SUMMARY"]),
                       str(ev.get("STATUS", "CONFIRMED"))))
    return sorted(result)


def _plain(value):
    return value if isinstance(value, datetime) else date(value.year, value.month, value.day)


READERS = {"ical.js": rows_icaljs, "libical": rows_libical, "ical": rows_ical,
           "recurring-ical-events": rows_recurring}


def read_all(body: bytes, start: datetime, end: datetime) -> dict[str, list[tuple]]:
    """Each reader's occurrences in [start, end); ``icalendar`` must find no problem in the feed."""
    assert icalendar_errors(body) == []
    return {name: reader(body, start, end) for name, reader in READERS.items()}


def agreed(body: bytes, start: datetime, end: datetime) -> list[tuple]:
    """The occurrences every reader expands; fails showing the readers that differ."""
    rows = read_all(body, start, end)
    first = rows["ical.js"]
    for name, other in rows.items():
        assert other == first, f"{name} differs from ical.js:\n only {name}: {sorted(set(other) - set(first))}\n" \
                               f" only ical.js: {sorted(set(first) - set(other))}"
    return first
