// Expand an iCalendar feed with Mozilla's ical.js (the parser of Thunderbird), as a calendar app would.
// stdin: the .ics; argv: range start and end (ISO, UTC). stdout: JSON list of occurrences.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");
const [from, to] = process.argv.slice(2).map((s) => ICAL.Time.fromJSDate(new Date(s), true));

const comp = new ICAL.Component(ICAL.parse(text));
for (const tz of comp.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(tz));
}
const vevents = comp.getAllSubcomponents("vevent");
const exceptions = vevents.filter((v) => v.hasProperty("recurrence-id"));
const masters = vevents.filter((v) => !v.hasProperty("recurrence-id"));
const out = [];
for (const vevent of masters) {
  const event = new ICAL.Event(vevent);
  for (const ex of exceptions) {
    if (ex.getFirstPropertyValue("uid") === event.uid) event.relateException(ex);
  }
  const record = (details) => {
    const start = details.startDate;
    out.push({
      uid: event.uid,
      summary: details.item.summary,
      status: details.item.component.getFirstPropertyValue("status"),
      allDay: start.isDate,
      start: start.isDate ? start.toString() : start.toJSDate().toISOString(),
      end: details.endDate.isDate ? details.endDate.toString() : details.endDate.toJSDate().toISOString(),
      sequence: details.item.sequence,
    });
  };
  if (event.isRecurring()) {
    const it = event.iterator();
    let next;
    let guard = 0;
    while ((next = it.next()) && guard++ < 5000) {
      if (next.compare(to) >= 0) break;
      const details = event.getOccurrenceDetails(next);
      if (details.endDate.compare(from) > 0) record(details);
    }
  } else {
    const details = { item: event, startDate: event.startDate, endDate: event.endDate };
    if (event.endDate.compare(from) > 0 && event.startDate.compare(to) < 0) record(details);
  }
}
out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.uid < b.uid ? -1 : 1));
process.stdout.write(JSON.stringify(out));
