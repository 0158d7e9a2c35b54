// ISO 8601 / RFC 3339 dates as fields, defaults and filter literals take them: a calendar date, or a
// date and time with an optional offset. Impossible values (Feb 31, 24:00, 10:60) are refused, never
// rolled over into another day as Date.parse does.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;

const daysIn = (y: number, m: number) => [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

/** The date in UTC as `YYYY-MM-DDTHH:MM:SS.sssZ`, or undefined when `v` is not a real date. */
export function parseIsoDate(v: string): string | undefined {
  const m = ISO.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', , , oh = '0', om = '0'] = m;
  const month = Number(mo);
  if (month < 1 || month > 12 || Number(d) < 1 || Number(d) > daysIn(Number(y), month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59) return undefined;
  const t = Date.parse(v.length === 10 ? v + 'T00:00:00Z' : v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
