// Parse iCalendar files with ical.js, the parser Thunderbird uses, and print what it understood as JSON.
// Usage: node validate_ics.mjs FILE...   Exit status 1 if any file fails to parse.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

let failed = false;
const results = [];
for (const path of process.argv.slice(2)) {
  try {
    const component = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
    for (const tz of component.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(new ICAL.Timezone(tz));
    }
    const events = component.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        summary: event.summary,
        sequence: event.sequence,
        status: vevent.getFirstPropertyValue("status"),
        tzid: vevent.getFirstProperty("dtstart").getParameter("tzid"),
        startUtc: event.startDate.toJSDate().toISOString(),
        endUtc: event.endDate.toJSDate().toISOString(),
      };
    });
    results.push({ path, method: component.getFirstPropertyValue("method"), events });
  } catch (error) {
    failed = true;
    results.push({ path, error: String(error) });
  }
}
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
