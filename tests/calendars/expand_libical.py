"""Expand an iCalendar feed with libical (the parser of GNOME Calendar and Evolution), as those apps do.

Runs under Debian's own /usr/bin/python3 with python3-gi and gir1.2-ical-3.0 (the project's venv
cannot import the system ``gi``). stdin: the .ics; argv: range start and end (ISO, UTC). stdout: a
JSON list of occurrences, like expand.mjs. libical expands a master's RRULE/EXDATE; overrides are
matched to the instances by RECURRENCE-ID by hand, as the apps do. Problems libical finds in the
feed (X-LIC-ERROR properties) are reported under "errors".
"""

import json
import sys
from datetime import UTC as UTC_TZ
from datetime import datetime

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I  # noqa: E402

UTC = I.Timezone.get_utc_timezone()  # libical's


def timet(t) -> int:
    zone = t.get_timezone() or UTC
    return t.as_timet_with_zone(zone)


def iso(t, all_day=False) -> str:
    """A Time, or seconds since the epoch (an instance: DATE instances start at midnight UTC)."""
    if isinstance(t, int):
        moment = datetime.fromtimestamp(t, UTC_TZ)
        return moment.strftime("%Y-%m-%d" if all_day else "%Y-%m-%dT%H:%M:%SZ")
    if t.is_date():
        return f"{t.get_year():04d}-{t.get_month():02d}-{t.get_day():02d}"
    return datetime.fromtimestamp(timet(t), UTC_TZ).strftime("%Y-%m-%dT%H:%M:%SZ")


def recurrence_id(cal, comp) -> int:
    """libical leaves RECURRENCE-ID's zone unset: the apps resolve its TZID against the calendar."""
    prop = comp.get_first_property(I.PropertyKind.RECURRENCEID_PROPERTY)
    value = prop.get_recurrenceid()
    param = prop.get_first_parameter(I.ParameterKind.TZID_PARAMETER)
    zone = cal.get_timezone(param.get_tzid()) if param is not None else None
    return value.as_timet_with_zone(zone or value.get_timezone() or UTC)


def status(comp) -> str:
    prop = comp.get_first_property(I.PropertyKind.STATUS_PROPERTY)
    return prop.get_value_as_string() if prop is not None else "CONFIRMED"


def errors(comp) -> list:
    out = []
    prop = comp.get_first_property(I.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        out.append(prop.get_value_as_string())
        prop = comp.get_next_property(I.PropertyKind.XLICERROR_PROPERTY)
    return out


def record(comp, start, end, all_day=None) -> dict:
    all_day = bool(start.is_date()) if all_day is None else all_day
    return {"uid": comp.get_uid(), "summary": comp.get_summary(), "status": status(comp),
            "allDay": all_day, "start": iso(start, all_day), "end": iso(end, all_day),
            "sequence": comp.get_sequence()}


def main() -> None:
    text = sys.stdin.buffer.read().decode("utf-8")
    lo, hi = (datetime.fromisoformat(a.replace("Z", "+00:00")) for a in sys.argv[1:3])
    lo_t, hi_t = int(lo.timestamp()), int(hi.timestamp())
    cal = I.Component.new_from_string(text)
    problems = errors(cal)
    masters, overrides = [], {}
    ev = cal.get_first_component(I.ComponentKind.VEVENT_COMPONENT)
    while ev is not None:
        problems += errors(ev)
        if ev.get_first_property(I.PropertyKind.RECURRENCEID_PROPERTY) is not None:
            overrides[(ev.get_uid(), recurrence_id(cal, ev))] = ev
        else:
            masters.append(ev)
        ev = cal.get_next_component(I.ComponentKind.VEVENT_COMPONENT)
    out = []
    for master in masters:
        start, end = master.get_dtstart(), master.get_dtend()
        if master.get_first_property(I.PropertyKind.RRULE_PROPERTY) is None:
            if timet(end) > lo_t and timet(start) < hi_t:
                out.append(record(master, start, end))
            continue
        length = timet(end) - timet(start)
        instances = []

        def collect(comp, span, data, instances=instances):
            instances.append(span.get_start())

        # whole series: instances are placed against the range after overrides are applied
        master.foreach_recurrence(I.Time.new_from_timet_with_zone(0, 0, UTC),
                                  I.Time.new_from_timet_with_zone(hi_t + 400 * 86400, 0, UTC), collect, None)
        for begin in instances:
            override = overrides.get((master.get_uid(), begin))
            if override is not None:
                s, e = override.get_dtstart(), override.get_dtend()
                if timet(e) > lo_t and timet(s) < hi_t:
                    out.append(record(override, s, e))
            elif begin + length > lo_t and begin < hi_t:
                out.append(record(master, begin, begin + length, all_day=bool(start.is_date())))
    out.sort(key=lambda r: (r["start"], r["uid"]))
    json.dump({"occurrences": out, "errors": problems}, sys.stdout)


main()
