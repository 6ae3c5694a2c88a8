import { utcMs } from './utc-time.js';

const DATE = '(\\d{4})-(\\d{2})-(\\d{2})';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?';
const ZONE = '(?:([Zz])|([+-])(\\d{2}):(\\d{2}))';
const RFC_3339 = new RegExp(`^${DATE}[Tt ]${TIME}${ZONE}$`);

const MS_PER_MINUTE = 60_000;

/**
 * Parses an RFC 3339 timestamp such as `2025-08-21T12:40:59Z` or
 * `2025-08-21T14:40:59.250+02:00` to epoch milliseconds; undefined if it is
 * not one. Digits past the millisecond are dropped.
 */
export function parseRfc3339Ms(text: string | undefined): number | undefined {
  const match = text === undefined ? null : RFC_3339.exec(text.trim());
  if (!match) return undefined;

  const [, year, month, day, hour, minute, second, fraction = '', , sign, offH, offM] = match;
  const localMs = utcMs({
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    // Read as digits, not as a float: 0.57 * 1000 is 569.999…
    millisecond: Number(fraction.padEnd(3, '0').slice(0, 3)),
  });
  const zoneMs = offsetMs(sign, offH, offM);
  if (localMs === undefined || zoneMs === undefined) return undefined;

  return localMs - zoneMs;
}

/** The zone's offset east of UTC; 0 for `Z`. */
function offsetMs(sign?: string, hours?: string, minutes?: string): number | undefined {
  if (sign === undefined) return 0;
  if (Number(hours) > 23 || Number(minutes) > 59) return undefined;

  const totalMinutes = Number(hours) * 60 + Number(minutes);
  return (sign === '-' ? -1 : 1) * totalMinutes * MS_PER_MINUTE;
}
