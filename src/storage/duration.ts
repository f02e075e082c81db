/**
 * Parsing `_clean --unused --at-least DURATION` (vagga-inventory.md §2.4: "humantime
 * durations", the format of Rust's humantime crate): one or more `<integer><unit>` parts,
 * optionally separated by spaces, summed: `10days`, `2h`, `1h 30min`, `3w`.
 * Units: ns/nsec, us/usec, ms/msec, s/sec/second(s), m/min/minute(s), h/hr/hour(s),
 * d/day(s), w/week(s), M/month(s) (30.44 days), y/year(s) (365.25 days), as humantime does.
 */

const SECOND = 1000;
const DAY = 86400 * SECOND;
/** Milliseconds per unit spelling. */
const UNITS: Record<string, number> = {
  ns: 1e-6, nsec: 1e-6, nanos: 1e-6,
  us: 1e-3, usec: 1e-3, micros: 1e-3,
  ms: 1, msec: 1, millis: 1,
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: 60 * SECOND, min: 60 * SECOND, mins: 60 * SECOND, minute: 60 * SECOND, minutes: 60 * SECOND,
  h: 3600 * SECOND, hr: 3600 * SECOND, hrs: 3600 * SECOND, hour: 3600 * SECOND, hours: 3600 * SECOND,
  d: DAY, day: DAY, days: DAY,
  w: 7 * DAY, week: 7 * DAY, weeks: 7 * DAY,
  M: 30.44 * DAY, month: 30.44 * DAY, months: 30.44 * DAY,
  y: 365.25 * DAY, year: 365.25 * DAY, years: 365.25 * DAY,
};

/**
 * Parse a humantime duration into milliseconds. Throws Error with a message naming the
 * problem (`empty duration`, `unknown time unit "x"`, `invalid duration "x"`); callers turn
 * it into their own exit code.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '') throw new Error('empty duration');
  const part = /\s*(\d+)\s*([A-Za-z]+)\s*/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const m = part.exec(s);
    if (!m) {
      throw new Error(/^\s*\d+\s*$/.test(s.slice(pos)) ? `time unit needed, e.g. ${s.slice(pos).trim()}days or ${s.slice(pos).trim()}h` : `invalid duration ${JSON.stringify(text)}`);
    }
    const unit = UNITS[m[2]!];
    if (unit === undefined) throw new Error(`unknown time unit ${JSON.stringify(m[2])} in ${JSON.stringify(text)}`);
    total += Number(m[1]) * unit;
    pos = part.lastIndex;
  }
  return total;
}
