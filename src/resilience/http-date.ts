import { utcMs } from './utc-time.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const TIME = '(?<hour>\\d{2}):(?<minute>\\d{2}):(?<second>\\d{2})';

// The three forms RFC 9110 §5.6.7 obliges a recipient to accept.
const FORMS = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^[a-z]{3}, (?<day>\\d{2}) (?<month>[a-z]{3}) (?<year>\\d{4}) ${TIME} GMT$`, 'i'),
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(`^[a-z]+, (?<day>\\d{2})-(?<month>[a-z]{3})-(?<year>\\d{2}) ${TIME} GMT$`, 'i'),
  // asctime: Sun Nov  6 08:49:37 1994
  new RegExp(`^[a-z]{3} (?<month>[a-z]{3}) (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`, 'i'),
];

/**
 * Parses an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, or the obsolete
 * RFC 850 and asctime forms) to epoch milliseconds; undefined if it is not one.
 *
 * `Date.parse` is not used: it guesses at almost anything (it reads `foo 2`
 * as a day in 2001) and takes asctime, which names no zone, as local time.
 */
export function parseHttpDateMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;

  const value = text.trim();
  for (const form of FORMS) {
    const groups = form.exec(value)?.groups;
    if (groups) return fromGroups(groups);
  }
  return undefined;
}

function fromGroups(groups: Record<string, string>): number | undefined {
  const month = MONTHS.indexOf(groups['month']?.toLowerCase() ?? '') + 1;
  if (month === 0) return undefined;

  return utcMs({
    year: fullYear(groups['year'] ?? ''),
    month,
    day: Number(groups['day']),
    hour: Number(groups['hour']),
    minute: Number(groups['minute']),
    second: Number(groups['second']),
  });
}

// RFC 850 has two-digit years. RFC 9110 reads one more than 50 years ahead as
// the century before; pivoting at 70 agrees with that for any date near now,
// which is all a response header carries.
function fullYear(digits: string): number {
  const year = Number(digits);
  if (digits.length !== 2) return year;
  return year < 70 ? 2000 + year : 1900 + year;
}
